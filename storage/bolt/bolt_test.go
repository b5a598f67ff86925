package bolt_test

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/storage/storetest"
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
	storetest.Run(t, func(t *testing.T) storage.Store { return MustOpen(t) })
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
		tr := storage.Turn{MessageID: string(rune('a' + i)), At: at, Session: storage.Session{ContactID: "c", Version: int64(i)}}
		if err := s.CommitTurn(ctx, tr); err != nil {
			t.Fatal(err)
		}
	}
	n, err := s.PruneHandled(ctx, day)
	if err != nil {
		t.Fatal(err)
	}
	if n != 3 {
		t.Errorf("pruned %d, want 3", n)
	}
	for id, want := range map[string]bool{"a": false, "b": false, "c": true, "d": true, "e": false} {
		if got, err := s.Handled(ctx, id); err != nil || got != want {
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
