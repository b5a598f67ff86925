package redis_test

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/storage/storetest"
	"innobot/survey"
)

// TestStoretest runs the conformance suite: every subtest gets a store under a prefix of its
// own on one server.
func TestStoretest(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	storetest.RunAll(t, func(t *testing.T) storetest.FullStore {
		return storeredis.New(client, srv.Prefix(t))
	})
}

// TestSentinelAndCluster runs the conformance suite through the clients the other URL kinds
// make: a Sentinel's answer for the master (a redis-server started with --sentinel, watching
// a private server), and a Cluster of one node holding every slot.
func TestSentinelAndCluster(t *testing.T) {
	for _, tt := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sentinel", func(t *testing.T) string { return redistest.StartSentinel(t, redistest.Start(t)) }},
		{"cluster", func(t *testing.T) string { return redistest.StartCluster(t).URL }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			url := tt.url(t)
			storetest.RunAll(t, func(t *testing.T) storetest.FullStore {
				s, err := storeredis.Open(t.Context(), url, redistest.Prefix(t))
				if err != nil {
					t.Fatalf("open %s: %v", url, err)
				}
				t.Cleanup(func() { s.Close() })
				return s
			})
		})
	}
}

// TestDump runs the suite's export and import checks, each store under a prefix of its own.
func TestDump(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	storetest.RunDump(t, func(t *testing.T) interface {
		storage.Backend
		storage.Dumper
	} {
		return storeredis.New(client, srv.Prefix(t))
	})
}

// TestPersistent runs the suite's reopen checks: a "reopen" is a new client and Store on the
// same server and prefix (dir names the prefix).
func TestPersistent(t *testing.T) {
	srv := redistest.Start(t)
	var mu sync.Mutex
	prefixes := map[string]string{}
	storetest.RunPersistent(t, func(t *testing.T, dir string) storage.Store {
		mu.Lock()
		p, ok := prefixes[dir]
		if !ok {
			p = srv.Prefix(t)
			prefixes[dir] = p
		}
		mu.Unlock()
		s, err := storeredis.Open(t.Context(), srv.URL, p)
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// TestPersistentAcrossServerRestart kills redis-server (SIGKILL) after acknowledged writes and
// starts it again on its files: everything acknowledged is there.
func TestPersistentAcrossServerRestart(t *testing.T) {
	srv := redistest.Start(t, "--appendfsync", "always")
	if !srv.Private {
		t.Skip("needs a private redis-server: unset REDIS_URL")
	}
	ctx := t.Context()
	prefix := srv.Prefix(t)
	s, err := storeredis.Open(ctx, srv.URL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "E1", Name: "甲"}); err != nil {
		t.Fatal(err)
	}
	d := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: survey.Answers{"x": {Text: "答"}}}
	if err := s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m1"}, Session: storage.Session{ContactID: "c1"}, Draft: &d}); err != nil {
		t.Fatal(err)
	}
	srv.Kill(t)

	// Down: an error wrapping the cause, quickly, and nothing written.
	start := time.Now()
	d2 := d
	d2.Answers = survey.Answers{"x": {Text: "不应写入"}}
	err = s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m2"}, Session: storage.Session{ContactID: "c1", Version: 1}, Draft: &d2})
	if err == nil {
		t.Fatal("CommitTurn with Redis down succeeded")
	}
	t.Logf("CommitTurn with Redis down failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
	if time.Since(start) > 5*time.Second {
		t.Errorf("CommitTurn with Redis down took %v", time.Since(start))
	}
	var netErr interface{ Timeout() bool }
	if !errors.As(err, &netErr) && !strings.Contains(err.Error(), "connection refused") {
		t.Logf("error with Redis down (not a net error?): %v", err)
	}

	srv.Restart(t)
	// The same Store recovers by itself.
	got, err := s.Draft(ctx, "E1", "2026-11")
	if err != nil {
		t.Fatalf("Draft after restart: %v\nredis log:\n%s", err, srv.Log())
	}
	if got.Answers["x"].Text != "答" {
		t.Errorf("draft after restart: %+v", got.Answers)
	}
	if sess, _ := s.Session(ctx, "c1"); sess.Version != 1 {
		t.Errorf("session version %d after restart, want 1", sess.Version)
	}
	if ok, _ := s.Handled(ctx, "m2"); ok {
		t.Error("the turn refused while down is marked handled")
	}
	if err := s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m2"}, Session: storage.Session{ContactID: "c1", Version: 1}, Draft: &d2}); err != nil {
		t.Fatalf("CommitTurn after restart: %v", err)
	}
}

// TestReplayedWrites sends each write twice with the same arguments, as go-redis does when a
// connection fails after the command went out, and checks that the second changes nothing.
// A client hook repeats every script call (EVALSHA) once after it succeeded.
func TestReplayedWrites(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	hook := &replayHook{}
	client.AddHook(hook)
	s := storeredis.New(client, srv.Prefix(t))
	ctx := t.Context()
	at := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "E1"}); err != nil {
		t.Fatal(err)
	}
	inv := storage.Invite{Hash: "h1", Role: storage.RoleLiaison, EnterpriseID: "E1", CreatedAt: at, ExpiresAt: at.Add(time.Hour)}
	if err := s.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
		t.Fatalf("PutInvite replayed: %v", err)
	}
	r, err := s.Redeem(ctx, "h1", storage.Contact{ID: "c1", Name: "张三"}, at, nil)
	if err != nil {
		t.Fatalf("Redeem replayed: %v", err)
	}
	if r.Contact.Role != storage.RoleLiaison {
		t.Errorf("Redeem replayed: %+v", r)
	}
	ok, err := s.ClaimReminder(ctx, "k1", at, []storage.OutboxMessage{{ID: "m1", Account: "a", To: "c1", QueuedAt: at}})
	if err != nil || !ok {
		t.Fatalf("ClaimReminder replayed: %v %v", ok, err)
	}
	if err := s.MarkSent(ctx, "m1", at, "timeout"); err != nil {
		t.Fatal(err)
	}
	p, err := s.Pending(ctx, "a", 10)
	if err != nil || len(p) != 1 || p[0].Attempts != 1 {
		t.Errorf("after one failed send, replayed: %+v %v", p, err)
	}
	was, err := s.Unbind(ctx, "c1", storage.Answer{})
	if err != nil || was.Role != storage.RoleLiaison {
		t.Errorf("Unbind replayed returned %+v, %v; want the liaison as it was", was, err)
	}
	if err := s.AddBindFailure(ctx, "c2", at, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.BindFailures(ctx, "c2", at.Add(-time.Minute)); n != 1 {
		t.Errorf("one AddBindFailure replayed counts %d", n)
	}
	if err := s.Audit(ctx, storage.AuditEntry{At: at, Action: "x"}); err != nil {
		t.Fatal(err)
	}
	if log, _ := s.AuditLog(ctx, time.Time{}); len(log) != 1 {
		t.Errorf("one Audit replayed: %d entries", len(log))
	}
	if n := hook.replays.Load(); n < 8 {
		t.Errorf("only %d commands replayed", n)
	}
}

// replayHook runs every EVALSHA, MULTI/EXEC pipeline and ZADD twice.
type replayHook struct{ replays atomic.Int64 }

func (*replayHook) DialHook(next goredis.DialHook) goredis.DialHook { return next }

func (h *replayHook) ProcessHook(next goredis.ProcessHook) goredis.ProcessHook {
	return func(ctx context.Context, cmd goredis.Cmder) error {
		if err := next(ctx, cmd); err != nil {
			return err
		}
		switch strings.ToLower(cmd.Name()) {
		case "evalsha", "eval", "zadd":
			h.replays.Add(1)
			return next(ctx, cmd) // the reply of the second run is what the caller sees
		}
		return nil
	}
}

func (h *replayHook) ProcessPipelineHook(next goredis.ProcessPipelineHook) goredis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []goredis.Cmder) error {
		if err := next(ctx, cmds); err != nil {
			return err
		}
		h.replays.Add(1)
		return next(ctx, cmds)
	}
}

// TestHeadEncodingCoversEveryField fails when storage.Head or survey.Facts gains a field the
// binary head encoding does not carry: every field set must come back.
func TestHeadEncodingCoversEveryField(t *testing.T) {
	srv := redistest.Start(t)
	s := storeredis.New(srv.Client(t), srv.Prefix(t))
	var sub storage.Submission
	fill(reflect.ValueOf(&sub).Elem())
	sub.Version = 1
	sub.Answers = nil
	if err := s.CommitTurn(t.Context(), storage.Turn{Session: storage.Session{ContactID: "c"}, Submission: &sub}); err != nil {
		t.Fatal(err)
	}
	heads, err := s.LatestHeads(t.Context(), sub.Period)
	if err != nil {
		t.Fatal(err)
	}
	got := heads[sub.EnterpriseID]
	got.SubmittedAt = got.SubmittedAt.In(sub.SubmittedAt.Location())
	if want := sub.Head(); !reflect.DeepEqual(got, want) {
		t.Errorf("head came back as\n %+v\nwant\n %+v", got, want)
	}
}

// fill sets every field of v to something other than its zero value.
func fill(v reflect.Value) {
	switch v.Kind() {
	case reflect.Struct:
		if v.Type() == reflect.TypeFor[time.Time]() {
			v.Set(reflect.ValueOf(time.Date(2026, 11, 3, 4, 5, 6, 7, time.UTC)))
			return
		}
		for i := range v.NumField() {
			if v.Type().Field(i).IsExported() {
				fill(v.Field(i))
			}
		}
	case reflect.String:
		v.SetString("s-" + v.Type().Name())
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64:
		v.SetInt(3)
	case reflect.Float64:
		v.SetFloat(1.25)
	}
}

// TestRebuildHeads checks that the index rebuilt from the submissions (as after Import)
// answers LatestHeads as the one CommitTurn kept.
func TestRebuildHeads(t *testing.T) {
	srv := redistest.Start(t)
	s := storeredis.New(srv.Client(t), srv.Prefix(t))
	ctx := t.Context()
	n := 0
	for _, e := range []string{"A", "A1", "B"} {
		for _, p := range []string{"2026-08", "2026-10", "2026-11"} {
			if e == "B" && p == "2026-11" || e == "A1" && p == "2026-08" {
				continue
			}
			for v := 1; v <= 2; v++ {
				sub := storage.Submission{EnterpriseID: e, Period: p, Version: v, SubmittedBy: fmt.Sprint(n), Facts: survey.Facts{Projects: n}}
				if err := s.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: fmt.Sprint("c", n)}, Submission: &sub}); err != nil {
					t.Fatal(err)
				}
				n++
			}
		}
	}
	upTos := []string{"2026-07", "2026-08", "2026-09", "2026-10", "2026-11", "2027-01"}
	before := map[string]map[string]storage.Head{}
	for _, u := range upTos {
		h, err := s.LatestHeads(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		before[u] = h
	}
	if err := s.RebuildHeads(ctx); err != nil {
		t.Fatal(err)
	}
	for _, u := range upTos {
		h, err := s.LatestHeads(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(h, before[u]) {
			t.Errorf("LatestHeads(%s) after the rebuild:\n %+v\nbefore:\n %+v", u, h, before[u])
		}
	}
	if h := before["2026-10"]["A"]; h.Period != "2026-10" || h.Version != 2 {
		t.Errorf("LatestHeads(2026-10)[A] = %+v", h)
	}
}

// TestUpgradeFormat1 opens data as format 1 left it, drafts without their index: Ping
// indexes them (format 2), and a turn finds its enterprise's drafts again.
func TestUpgradeFormat1(t *testing.T) {
	srv := redistest.Start(t)
	client := srv.Client(t)
	prefix := srv.Prefix(t)
	ctx := t.Context()
	s := storeredis.New(client, prefix)
	if err := s.Ping(ctx); err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "E1"}); err != nil {
		t.Fatal(err)
	}
	inv := storage.Invite{Hash: "h", Role: storage.RoleLiaison, EnterpriseID: "E1", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c"}, now, nil); err != nil {
		t.Fatal(err)
	}
	var want []storage.Draft
	for i, p := range []string{"2026-10", "2026-11"} {
		d := storage.Draft{EnterpriseID: "E1", Period: p, Answers: survey.Answers{"industry": {Text: p}}}
		want = append(want, d)
		tr := storage.Turn{Answer: storage.Answer{MessageID: p}, Session: storage.Session{ContactID: "c", Version: int64(i)}, Draft: &d}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	tag := "{innobot:" + prefix + "}"
	if err := client.Del(ctx, tag+":drafts").Err(); err != nil {
		t.Fatal(err)
	}
	if err := client.HSet(ctx, tag+":meta", "schema", 1).Err(); err != nil {
		t.Fatal(err)
	}

	s = storeredis.New(client, prefix)
	if err := s.Ping(ctx); err != nil {
		t.Fatalf("Ping of format-1 data: %v", err)
	}
	if v, err := client.HGet(ctx, tag+":meta", "schema").Result(); err != nil || v != "2" {
		t.Errorf("schema after the upgrade %q, %v; want 2", v, err)
	}
	st, err := s.LoadTurn(ctx, "c", "m-new")
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Drafts) != 2 || st.Drafts[0].Period != "2026-10" || st.Drafts[1].Answers["industry"].Text != "2026-11" {
		t.Errorf("drafts after the upgrade: %+v, want %+v", st.Drafts, want)
	}
}
