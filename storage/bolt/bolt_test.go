package bolt_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/storage/storetest"
	"innobot/survey"
)

// MustOpen opens a store in a fresh temporary directory and closes it when the test ends.
func MustOpen(tb testing.TB) *bolt.Store {
	tb.Helper()
	s, err := bolt.Open(filepath.Join(tb.TempDir(), "innobot.db"))
	if err != nil {
		tb.Fatalf("open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	storetest.RunAll(t, func(t *testing.T) storetest.FullStore { return MustOpen(t) })
}

func TestPersistent(t *testing.T) {
	storetest.RunPersistent(t, func(t *testing.T, dir string) storage.Store {
		s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
		if err != nil {
			t.Fatalf("open: %v", err)
		}
		return s
	})
}

func TestOpenMissingDir(t *testing.T) {
	path := filepath.Join(t.TempDir(), "missing", "innobot.db")
	s, err := bolt.Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open in a missing directory succeeded")
	}
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
	if !strings.Contains(err.Error(), path) {
		t.Errorf("error %q does not name the file", err)
	}
}

func TestOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "innobot.db")
	first, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()

	// flock is per open file, so a second Open in this process stands in for a second process.
	start := time.Now()
	second, err := bolt.Open(path, bolt.WithLockTimeout(100*time.Millisecond))
	if err == nil {
		second.Close()
		t.Fatal("second Open of a file in use succeeded")
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("second Open took %v to fail", d)
	}
	if !errors.Is(err, berrors.ErrTimeout) || !strings.Contains(err.Error(), "in use") {
		t.Errorf("error %q: want a timeout saying the file is in use", err)
	}
}

func TestOpenNewerFormat(t *testing.T) {
	// A file written by a newer innobot must be refused, not misread.
	path := filepath.Join(t.TempDir(), "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	s.Close()
	bumpSchema(t, path)
	s, err = bolt.Open(path)
	if err == nil {
		s.Close()
		t.Fatal("Open of a newer format succeeded")
	}
	if !strings.Contains(err.Error(), "newer") {
		t.Errorf("error %q does not say the file is newer", err)
	}
}

func TestPruneHandled(t *testing.T) {
	s := MustOpen(t)
	ctx := t.Context()
	day := time.Date(2026, 11, 3, 0, 0, 0, 0, time.UTC)
	for i, at := range []time.Time{day.Add(-48 * time.Hour), day.Add(-time.Nanosecond), day, day.Add(time.Hour), {}} {
		if err := s.Answer(ctx, storage.Answer{MessageID: string(rune('a' + i)), At: at}); err != nil {
			t.Fatal(err)
		}
	}
	// Turns' ids go by their times too.
	for i, at := range []time.Time{day.Add(-time.Hour), day.Add(time.Hour)} {
		tr := storage.Turn{Answer: storage.Answer{MessageID: fmt.Sprint("turn", i), At: at}, Session: storage.Session{ContactID: "c", Version: int64(i)}}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneHandled(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("pruned %d, want 4 (a, b, e and turn0)", n)
	}
	dump, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for _, h := range dump.Handled {
		kept = append(kept, h.ID)
	}
	if want := []string{"c", "d", "turn1"}; !slices.Equal(kept, want) {
		t.Errorf("ids kept %q, want %q", kept, want)
	}
	for id, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true, "e": false, "turn0": false, "turn1": true} {
		if got, err := s.Handled(ctx, id); err != nil || got != want {
			t.Errorf("Handled(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
}

func TestCommitTurnRefusesBadKeys(t *testing.T) {
	s := MustOpen(t)
	for name, tr := range map[string]storage.Turn{
		"no contact":       {Answer: storage.Answer{MessageID: "m"}},
		"draft no period":  {Answer: storage.Answer{MessageID: "m"}, Session: storage.Session{ContactID: "c"}, Draft: &storage.Draft{EnterpriseID: "E1"}},
		"NUL in id":        {Answer: storage.Answer{MessageID: "m"}, Session: storage.Session{ContactID: "c"}, Submission: &storage.Submission{EnterpriseID: "E\x001", Period: "p", Version: 1}},
		"drop no company":  {Answer: storage.Answer{MessageID: "m"}, Session: storage.Session{ContactID: "c"}, DropDraft: &storage.DraftKey{Period: "p"}},
		"submission blank": {Answer: storage.Answer{MessageID: "m"}, Session: storage.Session{ContactID: "c"}, Submission: &storage.Submission{Version: 1}},
	} {
		err := s.CommitTurn(t.Context(), tr)
		if err == nil || errors.Is(err, storage.ErrConflict) {
			t.Errorf("%s: error %v, want a plain refusal", name, err)
		}
	}
	if ok, _ := s.Handled(t.Context(), "m"); ok {
		t.Error("a refused turn marked its message handled")
	}
}

// bumpSchema marks the file as written by a later format, as a newer innobot would.
func bumpSchema(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("999"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestRedeemLiaisonOfMissingEnterprise(t *testing.T) {
	// A code made for an enterprise the office has not imported (yet) must not be used up.
	s := MustOpen(t)
	ctx := t.Context()
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	inv := storage.Invite{Hash: "h", Role: storage.RoleLiaison, EnterpriseID: "E9", CreatedAt: now, ExpiresAt: now.Add(time.Hour)}
	if err := s.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	_, err := s.Redeem(ctx, "h", storage.Contact{ID: "c"}, now, nil)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("error %v, want ErrNotFound", err)
	}
	if _, err := s.Contact(ctx, "c"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("contact bound by a refused code: %v", err)
	}
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "E9"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c"}, now, nil); err != nil {
		t.Errorf("code after its enterprise was imported: %v", err)
	}
}

func TestOpenFormat1(t *testing.T) {
	// A file of format 1 has submissions but no heads: opening it builds them.
	path := filepath.Join(t.TempDir(), "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var subs []storage.Submission
	for i, key := range []struct {
		e, p string
		v    int
	}{{"E1", "2026-10", 1}, {"E1", "2026-11", 1}, {"E1", "2026-11", 2}, {"E2", "2026-09", 1}} {
		sub := storage.Submission{EnterpriseID: key.e, Period: key.p, Version: key.v, SubmittedBy: "c-1",
			SubmittedAt: time.Date(2026, 11, 3, 9, i, 0, 0, time.UTC), Facts: survey.Facts{Projects: i, Plan: "计划"}}
		subs = append(subs, sub)
		tr := storage.Turn{Answer: storage.Answer{MessageID: fmt.Sprint(i)}, Session: storage.Session{ContactID: fmt.Sprint("c", i)}, Submission: &sub}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()
	makeFormat1(t, path)

	s, err = bolt.Open(path)
	if err != nil {
		t.Fatalf("open a format-1 file: %v", err)
	}
	got, err := s.LatestHeads(ctx, "2026-11")
	s.Close()
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]storage.Head{"E1": subs[2].Head(), "E2": subs[3].Head()}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("LatestHeads of an upgraded file:\n got  %+v\n want %+v", got, want)
	}
	if v := readMeta(t, path, "schema"); v != "4" {
		t.Errorf("schema after upgrading %q, want 4", v)
	}
}

// makeFormat1 turns a store file into what format 1 wrote: no buckets of format 2, schema 1.
func makeFormat1(t *testing.T, path string) {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, name := range []string{"heads", "groups", "bind_failures", "audit", "outbox", "outbox_pending", "outbox_sent", "claims", "handled_at"} {
			if err := tx.DeleteBucket([]byte(name)); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
		}
		meta := tx.Bucket([]byte("meta"))
		if err := meta.Delete([]byte("heads")); err != nil {
			return err
		}
		return meta.Put([]byte("schema"), []byte("1"))
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestOpenFormat3 opens testdata/format3.db, written by the format-3 code (commit 917539f,
// see testdata/README), and finds every record of it (testdata/format3.json is what that
// code exported) and every message id it had handled: those in its turn_ids bucket and in its
// sessions, whatever time they are asked with. The file becomes format 4 and goes on.
func TestOpenFormat3(t *testing.T) {
	ctx := t.Context()
	raw, err := os.ReadFile("testdata/format3.db")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "innobot.db")
	if err := os.WriteFile(path, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	wantJSON, err := os.ReadFile("testdata/format3.json")
	if err != nil {
		t.Fatal(err)
	}
	var want storage.Dump
	if err := json.Unmarshal(wantJSON, &want); err != nil {
		t.Fatal(err)
	}

	s, err := bolt.Open(path)
	if err != nil {
		t.Fatalf("open a format-3 file: %v", err)
	}
	got, err := s.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sortHandled := func(hs []storage.Handled) {
		slices.SortFunc(hs, func(a, b storage.Handled) int { return strings.Compare(a.ID, b.ID) })
	}
	sortHandled(got.Handled)
	sortHandled(want.Handled)
	if !reflect.DeepEqual(got, want) {
		gotJSON, _ := json.MarshalIndent(got, "", "  ")
		t.Errorf("the upgraded file exports\n%s\nwant\n%s", gotJSON, wantJSON)
	}
	// m0 and m1 were in turn_ids only, m2…m9 also in the session, q-read-only in handled.
	for _, id := range []string{"m0", "m1", "m9", "q-read-only"} {
		if ok, err := s.Handled(ctx, id); err != nil || !ok {
			t.Errorf("Handled(%s) = %v, %v after the upgrade", id, ok, err)
		}
	}
	sess, err := s.Session(ctx, "张三")
	if err != nil {
		t.Fatal(err)
	}
	d := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: survey.Answers{"a0": {Text: "again"}}}
	for _, id := range []string{"m0", "m9"} {
		tr := storage.Turn{Answer: storage.Answer{MessageID: id, At: time.Now()}, Session: sess, Draft: &d}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	if after, err := s.Draft(ctx, "E1", "2026-11"); err != nil || after.Answers["a0"].Text == "again" {
		t.Errorf("a message handled before the upgrade was taken again: draft %+v, %v", after.Answers, err)
	}
	tr := storage.Turn{Answer: storage.Answer{MessageID: "m10", At: time.Now()}, Session: sess, Draft: &d}
	if err := s.CommitTurn(ctx, tr); err != nil {
		t.Fatalf("a new turn after the upgrade: %v", err)
	}
	if n, err := s.PruneHandled(ctx, time.Date(2026, 11, 20, 2, 15, 0, 0, time.UTC)); err != nil || n != 5 {
		t.Errorf("PruneHandled before m5 = %d, %v; want m0…m4 pruned", n, err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if v := readMeta(t, path, "schema"); v != "4" {
		t.Errorf("schema after upgrading %q, want 4", v)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		if tx.Bucket([]byte("turn_ids")) != nil {
			t.Error("the turn_ids bucket is still there")
		}
		if v := tx.Bucket([]byte("sessions")).Get([]byte("张三")); bytes.Contains(v, []byte("recent")) {
			t.Errorf("the session still lists message ids: %s", v)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func readMeta(t *testing.T, path, key string) string {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v string
	db.View(func(tx *bbolt.Tx) error {
		v = string(tx.Bucket([]byte("meta")).Get([]byte(key)))
		return nil
	})
	return v
}

func TestUnbindLeavesAnotherLiaison(t *testing.T) {
	// Redeem keeps contact and enterprise in step, so this state cannot be made through the
	// interface; it is made here by hand: c-1 still says liaison of E1, E1 names c-2.
	path := filepath.Join(t.TempDir(), "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	now := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "E1"}); err != nil {
		t.Fatal(err)
	}
	inv := storage.Invite{Hash: "h", Role: storage.RoleLiaison, EnterpriseID: "E1", ExpiresAt: now.Add(time.Hour)}
	if err := s.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c-1"}, now, nil); err != nil {
		t.Fatal(err)
	}
	s.Close()
	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		return tx.Bucket([]byte("enterprises")).Put([]byte("E1"), []byte(`{"id":"E1","liaison_id":"c-2"}`))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Unbind(ctx, "c-1", storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Enterprise(ctx, "E1"); err != nil || e.LiaisonID != "c-2" {
		t.Errorf("E1 after unbinding c-1: %+v, %v; want LiaisonID c-2", e, err)
	}
}

// BenchmarkLatestHeads is the ledger's 进度 over the city: 10,000 enterprises with three
// periods each. It must stay well under 50ms.
func BenchmarkLatestHeads(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "innobot.db"), bolt.WithBatch(200, 10*time.Millisecond))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const enterprises, workers = 10000, 200
	periods := []string{"2026-09", "2026-10", "2026-11"}
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < enterprises; i += workers {
				id := fmt.Sprintf("14%06d", i)
				for j, p := range periods {
					sub := storage.Submission{EnterpriseID: id, Period: p, Version: 1, Form: "附件3-2026",
						SubmittedBy: "c-" + id, SubmittedAt: time.Now(),
						Facts: survey.Facts{HasRD: true, Projects: 2, Plan: "建设企业技术中心",
							Industry: "黑色金属冶炼和压延加工业", Ownership: "民营"}}
					tr := storage.Turn{Answer: storage.Answer{MessageID: id + p}, Session: storage.Session{ContactID: "c-" + id, Version: int64(j)}, Submission: &sub}
					if err := s.CommitTurn(b.Context(), tr); err != nil {
						b.Error(err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	// upTo the last period reads every head in turn; upTo the one before also skips one
	// later period of each enterprise.
	for _, upTo := range []string{"2026-11", "2026-10"} {
		b.Run(upTo, func(b *testing.B) {
			for b.Loop() {
				heads, err := s.LatestHeads(b.Context(), upTo)
				if err != nil {
					b.Fatal(err)
				}
				if len(heads) != enterprises {
					b.Fatalf("%d heads, want %d", len(heads), enterprises)
				}
			}
		})
	}
}

// BenchmarkPutEnterprises imports the city's list of 10,000 enterprises into a store that
// has them already (a re-import, the slower case: every stored liaison is read).
func BenchmarkPutEnterprises(b *testing.B) {
	s, err := bolt.Open(filepath.Join(b.TempDir(), "innobot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	es := make([]storage.Enterprise, 10000)
	for i := range es {
		es[i] = storage.Enterprise{ID: fmt.Sprintf("14%06d", i), Name: fmt.Sprintf("山西某某钢铁有限公司%d", i), Region: "盐湖区",
			CreditCode: "91140800MA0K000000", Industry: "黑色金属冶炼和压延加工业", Ownership: "民营",
			Helper: "王帮扶", HelperTel: "13800000000", ContactName: "赵联系", ContactTel: "0359-1234567", UpdatedAt: time.Now()}
	}
	for b.Loop() {
		if err := s.PutEnterprises(b.Context(), es); err != nil {
			b.Fatal(err)
		}
	}
}

func TestDump(t *testing.T) {
	storetest.RunDump(t, func(t *testing.T) storetest.DumpStore { return MustOpen(t) })
}
