package bolt_test

import (
	"errors"
	"fmt"
	"io/fs"
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
		if err := s.MarkHandled(ctx, string(rune('a'+i)), at); err != nil {
			t.Fatal(err)
		}
	}
	// Turns' ids go by their messages' times too, but the session keeps its last ones.
	for i, at := range []time.Time{day.Add(-time.Hour), day.Add(time.Hour)} {
		tr := storage.Turn{MessageID: fmt.Sprint("turn", i), At: at, Session: storage.Session{ContactID: "c", Version: int64(i)}}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneHandled(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if n != 4 {
		t.Errorf("pruned %d, want 4", n)
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
	for id, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true, "e": false, "turn0": true, "turn1": true} {
		if got, err := s.Handled(ctx, "c", id, time.Time{}); err != nil || got != want {
			t.Errorf("Handled(%s) = %v, %v; want %v", id, got, err, want)
		}
	}
}

func TestCommitTurnRefusesBadKeys(t *testing.T) {
	s := MustOpen(t)
	for name, tr := range map[string]storage.Turn{
		"no contact":       {MessageID: "m"},
		"draft no period":  {MessageID: "m", Session: storage.Session{ContactID: "c"}, Draft: &storage.Draft{EnterpriseID: "E1"}},
		"NUL in id":        {MessageID: "m", Session: storage.Session{ContactID: "c"}, Submission: &storage.Submission{EnterpriseID: "E\x001", Period: "p", Version: 1}},
		"drop no company":  {MessageID: "m", Session: storage.Session{ContactID: "c"}, DropDraft: &storage.DraftKey{Period: "p"}},
		"submission blank": {MessageID: "m", Session: storage.Session{ContactID: "c"}, Submission: &storage.Submission{Version: 1}},
	} {
		err := s.CommitTurn(t.Context(), tr)
		if err == nil || errors.Is(err, storage.ErrConflict) {
			t.Errorf("%s: error %v, want a plain refusal", name, err)
		}
	}
	if ok, _ := s.Handled(t.Context(), "c", "m", time.Time{}); ok {
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
	if err := s.PutInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	_, err := s.Redeem(ctx, "h", storage.Contact{ID: "c"}, now)
	if !errors.Is(err, storage.ErrNotFound) {
		t.Fatalf("error %v, want ErrNotFound", err)
	}
	if _, err := s.Contact(ctx, "c"); !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("contact bound by a refused code: %v", err)
	}
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "E9"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c"}, now); err != nil {
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
			SubmittedAt: time.Date(2026, 11, 3, 9, i, 0, 0, time.UTC), Facts: survey.Facts{Projects: i, RDCost: 1.5, Plan: "计划"}}
		subs = append(subs, sub)
		tr := storage.Turn{MessageID: fmt.Sprint(i), Session: storage.Session{ContactID: fmt.Sprint("c", i)}, Submission: &sub}
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
	if v := readMeta(t, path, "schema"); v != "3" {
		t.Errorf("schema after upgrading %q, want 3", v)
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
		for _, name := range []string{"heads", "groups", "bind_failures", "audit", "outbox", "outbox_pending", "outbox_sent", "claims", "turn_ids"} {
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

// TestOpenFormat2 opens a file as format 2 left it, the message ids of turns in the handled
// bucket only: the file becomes format 3, and a message delivered again is still known.
func TestOpenFormat2(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	at := time.Date(2026, 11, 3, 9, 0, 0, 0, time.UTC)
	ids := []string{"m0", "m1", "m2"}
	for i, id := range ids {
		d := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: survey.Answers{"industry": {Text: id}}}
		tr := storage.Turn{MessageID: id, At: at, Session: storage.Session{ContactID: "c", Version: int64(i)}, Draft: &d}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	s.Close()

	db, err := bbolt.Open(path, 0o600, nil)
	if err != nil {
		t.Fatal(err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		if err := tx.DeleteBucket([]byte("turn_ids")); err != nil {
			return err
		}
		v, err := at.MarshalBinary()
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := tx.Bucket([]byte("handled")).Put([]byte(id), v); err != nil {
				return err
			}
		}
		sessions := tx.Bucket([]byte("sessions"))
		sess, err := storage.DecodeSession(sessions.Get([]byte("c")))
		if err != nil {
			return err
		}
		sess.Recent = nil // format 2 kept no ids in sessions
		b, err := storage.AppendSession(nil, sess)
		if err != nil {
			return err
		}
		if err := sessions.Put([]byte("c"), b); err != nil {
			return err
		}
		return tx.Bucket([]byte("meta")).Put([]byte("schema"), []byte("2"))
	})
	db.Close()
	if err != nil {
		t.Fatal(err)
	}

	s, err = bolt.Open(path)
	if err != nil {
		t.Fatalf("open a format-2 file: %v", err)
	}
	for _, id := range ids {
		if ok, err := s.Handled(ctx, "c", id, at); err != nil || !ok {
			t.Errorf("Handled(%s) = %v, %v after the upgrade", id, ok, err)
		}
		d := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: survey.Answers{"industry": {Text: "again"}}}
		if err := s.CommitTurn(ctx, storage.Turn{MessageID: id, At: at, Session: storage.Session{ContactID: "c", Version: 3}, Draft: &d}); err != nil {
			t.Fatal(err)
		}
	}
	d, err := s.Draft(ctx, "E1", "2026-11")
	s.Close()
	if err != nil || d.Answers["industry"].Text != "m2" {
		t.Errorf("draft after the old messages came again: %+v, %v", d.Answers, err)
	}
	if v := readMeta(t, path, "schema"); v != "3" {
		t.Errorf("schema after upgrading %q, want 3", v)
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
	if err := s.PutInvite(ctx, inv); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c-1"}, now); err != nil {
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
	if _, err := s.Unbind(ctx, "c-1"); err != nil {
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
						Facts: survey.Facts{HasRD: true, Projects: 2, RDStaff: 12, RDCost: 345.6, Plan: "建设企业技术中心",
							Industry: "黑色金属冶炼和压延加工业", Ownership: "民营"}}
					tr := storage.Turn{MessageID: id + p, Session: storage.Session{ContactID: "c-" + id, Version: int64(j)}, Submission: &sub}
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
