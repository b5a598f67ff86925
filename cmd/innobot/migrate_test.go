package main

import (
	"bytes"
	"context"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/bolt"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/survey"
)

// TestMigrate fills a bolt file with every kind of record, migrates it to Redis and from there
// to a new bolt file, and reads each record back through the stores' own methods on both.
func TestMigrate(t *testing.T) {
	srv := redistest.Start(t)
	ctx := t.Context()
	dir := t.TempDir()
	src := filepath.Join(dir, "src.db")
	at := time.Date(2026, 11, 25, 10, 0, 0, 123456789, time.FixedZone("CST", 8*3600))

	s, err := bolt.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	fillStore(t, s, at)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	prefix := srv.Prefix(t)
	var out bytes.Buffer
	if err := run(ctx, []string{"migrate", "--from", "bolt:" + src, "--to", srv.URL, "--prefix", prefix}, &out, &out); err != nil {
		t.Fatalf("migrate to redis: %v\n%s", err, out.String())
	}
	t.Logf("bolt → redis:\n%s", out.String())
	for _, want := range []string{"sessions", "drafts", "reminder claims", "各类记录数一致",
		"邀请码密钥", filepath.Join(filepath.Dir(src), "secret.key"), "INNOBOT_SECRET_KEY"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q", want)
		}
	}
	rs, err := storeredis.Open(ctx, srv.URL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	checkStore(t, "redis", rs, at)
	rs.Close()

	// Into a prefix that holds data: refused.
	out.Reset()
	err = run(ctx, []string{"migrate", "--from", "bolt:" + src, "--to", srv.URL, "--prefix", prefix}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "holds data") || !strings.Contains(err.Error(), "目标须为空") {
		t.Errorf("migrate into a prefix with data: %v", err)
	}

	back := filepath.Join(dir, "back.db")
	out.Reset()
	if err := run(ctx, []string{"migrate", "--from", srv.URL, "--prefix", prefix, "--to", "bolt:" + back}, &out, &out); err != nil {
		t.Fatalf("migrate back to bolt: %v\n%s", err, out.String())
	}
	t.Logf("redis → bolt:\n%s", out.String())
	if want := filepath.Join(dir, "secret.key") + "（权限 600）"; !strings.Contains(out.String(), want) {
		t.Errorf("migrating into a bolt file does not say to copy the key there (%s): %s", want, out.String())
	}
	bs, err := bolt.Open(back)
	if err != nil {
		t.Fatal(err)
	}
	defer bs.Close()
	checkStore(t, "bolt after the round trip", bs, at)
	if _, err := bs.Redeem(ctx, "h-free", storage.Contact{ID: "孙七"}, at.Add(time.Hour), nil); err != nil {
		t.Errorf("the unused code after the round trip: %v", err)
	}
}

// fillStore writes one or more records of every kind.
func fillStore(t *testing.T, s storage.Backend, at time.Time) {
	t.Helper()
	ctx := t.Context()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutEnterprises(ctx, []storage.Enterprise{
		{ID: "E1", Name: "甲公司", Region: "盐湖区", UpdatedAt: at},
		{ID: "E2", Name: "乙公司", Region: "永济市", UpdatedAt: at},
		{ID: "E3", Name: "丙公司", Region: "河津市", UpdatedAt: at},
	}))
	inv := func(hash string, role storage.Role, ent string) storage.Invite {
		return storage.Invite{Hash: hash, Role: role, EnterpriseID: ent, CreatedBy: "admin", CreatedAt: at, ExpiresAt: at.Add(48 * time.Hour)}
	}
	must(s.PutInvite(ctx, inv("h1", storage.RoleLiaison, "E1"), nil, storage.Answer{}))
	must(s.PutInvite(ctx, inv("h2", storage.RoleLiaison, "E2"), nil, storage.Answer{}))
	must(s.PutInvite(ctx, inv("h3", storage.RoleCounty, ""), nil, storage.Answer{}))
	must(s.PutInvite(ctx, inv("h-free", storage.RoleLiaison, "E3"), nil, storage.Answer{}))
	for _, r := range []struct{ hash, id string }{{"h1", "张三"}, {"h2", "李四"}, {"h3", "王五"}} {
		_, err := s.Redeem(ctx, r.hash, storage.Contact{ID: r.id, Name: r.id, Account: "bot-1"}, at, nil)
		must(err)
	}
	_, err := s.Unbind(ctx, "王五", storage.Answer{})
	must(err)
	must(s.PutGroup(ctx, storage.Group{ID: "g1", Name: "盐湖区帮扶群", Region: "盐湖区", BoundAt: at, Account: "bot-1"}, storage.Answer{}))
	must(s.AddBindFailure(ctx, "赵六", at, storage.Answer{}))
	must(s.AddBindFailure(ctx, "赵六", at.Add(time.Minute), storage.Answer{}))
	must(s.Audit(ctx, storage.AuditEntry{At: at, Contact: "王五", Action: "bind"}))
	must(s.Audit(ctx, storage.AuditEntry{At: at, Contact: "王五", Action: "query"}))

	// 张三: a submission, then a draft of the next period, three turns in all.
	sub := storage.Submission{EnterpriseID: "E1", Period: "2026-10", Version: 1, Form: "fujian3",
		Answers: survey.Answers{"industry": {Text: "钢铁"}}, SubmittedBy: "张三", SubmittedAt: at,
		Facts: survey.Facts{HasRD: true, Projects: 2, Industry: "钢铁"}}
	must(s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m1", At: at}, Session: storage.Session{ContactID: "张三", State: "idle"}, Submission: &sub}))
	d := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: survey.Answers{"industry": {Text: "钢铁·特殊钢"}, "six": {Multi: []int{1, 3}}}, UpdatedBy: "张三", UpdatedAt: at}
	must(s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m2", At: at}, Session: storage.Session{ContactID: "张三", Version: 1, State: "survey", EnterpriseID: "E1", Period: "2026-11", Cursor: "ownership"}, Draft: &d}))
	must(s.Answer(ctx, storage.Answer{MessageID: "q1", At: at}))

	msg := func(id string, queued int) storage.OutboxMessage {
		return storage.OutboxMessage{ID: id, Account: "bot-1", To: "李四", Text: "提醒 " + id, Source: "test", QueuedAt: at.Add(time.Duration(queued) * time.Minute)}
	}
	must(s.Enqueue(ctx, []storage.OutboxMessage{msg("o1", 0), msg("o2", 0), msg("o3", 1)}))
	must(s.MarkSent(ctx, "o1", at.Add(2*time.Minute), ""))
	must(s.MarkSent(ctx, "o2", at.Add(2*time.Minute), "timeout"))
	ok, err := s.ClaimReminder(ctx, "monthly:2026-12-05:3d", at, []storage.OutboxMessage{msg("o4", 0)})
	must(err)
	if !ok {
		t.Fatal("claim refused")
	}
}

// checkStore reads back what fillStore wrote.
func checkStore(t *testing.T, name string, s storage.Backend, at time.Time) {
	t.Helper()
	ctx := context.Background()
	fail := func(format string, args ...any) {
		t.Helper()
		t.Errorf(name+": "+format, args...)
	}
	if e, err := s.Enterprise(ctx, "E1"); err != nil || e.LiaisonID != "张三" || e.Name != "甲公司" {
		fail("E1 = %+v, %v", e, err)
	}
	if c, err := s.Contact(ctx, "李四"); err != nil || c.Role != storage.RoleLiaison || c.EnterpriseID != "E2" || c.Account != "bot-1" {
		fail("李四 = %+v, %v", c, err)
	}
	if c, err := s.Contact(ctx, "王五"); err != nil || c.Role != storage.RoleNone || c.Name != "王五" {
		fail("王五 (unbound) = %+v, %v", c, err)
	}
	if _, err := s.Redeem(ctx, "h1", storage.Contact{ID: "x"}, at, nil); err != storage.ErrInviteUsed && !strings.Contains(errString(err), storage.ErrInviteUsed.Error()) {
		fail("used code h1: %v", err)
	}
	if g, err := s.Group(ctx, "g1"); err != nil || g.Region != "盐湖区" {
		fail("group = %+v, %v", g, err)
	}
	if n, _ := s.BindFailures(ctx, "赵六", at.Add(-time.Hour)); n != 2 {
		fail("bind failures %d, want 2", n)
	}
	if log, _ := s.AuditLog(ctx, time.Time{}); len(log) != 2 || log[0].Action != "bind" || log[1].Action != "query" {
		fail("audit log %+v", log)
	}
	sess, err := s.Session(ctx, "张三")
	if err != nil || sess.Version != 2 || sess.Cursor != "ownership" || sess.Period != "2026-11" {
		fail("session = %+v, %v", sess, err)
	}
	d, err := s.Draft(ctx, "E1", "2026-11")
	if err != nil || d.Answers["industry"].Text != "钢铁·特殊钢" || !reflect.DeepEqual(d.Answers["six"].Multi, []int{1, 3}) {
		fail("draft = %+v, %v", d, err)
	}
	subs, err := s.Submissions(ctx, "E1")
	if err != nil || len(subs) != 1 || subs[0].Version != 1 || subs[0].Answers["industry"].Text != "钢铁" {
		fail("submissions = %+v, %v", subs, err)
	}
	heads, err := s.LatestHeads(ctx, "2026-11")
	if h := heads["E1"]; err != nil || h.Period != "2026-10" || h.Facts.Projects != 2 || h.Facts.Industry != "钢铁" {
		fail("heads = %+v, %v", heads, err)
	}
	for _, id := range []string{"m1", "m2", "q1"} {
		if ok, _ := s.Handled(ctx, id); !ok {
			fail("%s not handled", id)
		}
	}
	// A stale turn is still refused, and a new one goes on from version 2.
	if err := s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m3"}, Session: storage.Session{ContactID: "张三", Version: 1}}); err == nil {
		fail("a stale turn was accepted")
	}
	pending, err := s.Pending(ctx, "bot-1", 10)
	var ids []string
	for _, m := range pending {
		ids = append(ids, m.ID)
	}
	if err != nil || strings.Join(ids, " ") != "o2 o4 o3" || pending[0].Attempts != 1 || pending[0].Error != "timeout" {
		fail("pending %v (%+v), %v", ids, pending, err)
	}
	if sent, _ := s.Sent(ctx, time.Time{}); len(sent) != 1 || sent[0].ID != "o1" || !sent[0].SentAt.Equal(at.Add(2*time.Minute)) {
		fail("sent %+v", sent)
	}
	if ok, _ := s.ClaimReminder(ctx, "monthly:2026-12-05:3d", at, nil); ok {
		fail("a claimed reminder was claimed again")
	}
	if e, _ := s.Enterprise(ctx, "E3"); e.LiaisonID != "" {
		fail("E3 has liaison %q", e.LiaisonID)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
