package bolt_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// TestEnterpriseListFollowsWrites checks that the cached list never shows a state older than
// the last write of any kind that touches enterprises.
func TestEnterpriseListFollowsWrites(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	list := func() []storage.Enterprise {
		t.Helper()
		es, err := s.Enterprises(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return es
	}
	if len(list()) != 0 {
		t.Fatal("a new store lists enterprises")
	}
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "e1", Name: "甲", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	if es := list(); len(es) != 1 || es[0].Name != "甲" {
		t.Fatalf("after PutEnterprise: %+v", es)
	}
	es := list()
	es[0].Name = "改了调用方的副本"
	if list()[0].Name != "甲" {
		t.Fatal("a caller's change reached the cache")
	}
	if err := s.PutEnterprises(ctx, []storage.Enterprise{{ID: "e1", Name: "甲公司", Region: "盐湖区"}, {ID: "e2", Name: "乙", Region: "夏县"}}); err != nil {
		t.Fatal(err)
	}
	if es := list(); len(es) != 2 || es[0].Name != "甲公司" {
		t.Fatalf("after PutEnterprises: %+v", es)
	}
	if err := s.PutInvite(ctx, storage.Invite{Hash: "h", Role: storage.RoleLiaison, EnterpriseID: "e2", ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c1"}, now); err != nil {
		t.Fatal(err)
	}
	if es := list(); es[1].LiaisonID != "c1" {
		t.Fatalf("after Redeem: %+v", es[1])
	}
	if _, err := s.Unbind(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if es := list(); es[1].LiaisonID != "" {
		t.Fatalf("after Unbind: %+v", es[1])
	}
}

// TestDraftCacheKeepsTheLastWrite races many turns writing one enterprise's draft and then
// compares what the store answers with what the file holds once reopened.
func TestDraftCacheKeepsTheLastWrite(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/innobot.db"
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, turns = 8, 40
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			contact := fmt.Sprintf("c%d", w)
			for i := range turns {
				d := storage.Draft{EnterpriseID: "e1", Period: "2026-11", UpdatedBy: fmt.Sprintf("%s/%d", contact, i),
					Answers: survey.Answers{"industry": {Text: contact}}}
				tr := storage.Turn{Session: storage.Session{ContactID: contact, Version: int64(i)}, Draft: &d}
				if i%7 == 6 {
					tr.Draft, tr.DropDraft = nil, &storage.DraftKey{EnterpriseID: "e1", Period: "2026-11"}
				}
				if err := s.CommitTurn(ctx, tr); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}()
	}
	for range writers {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	cached, cerr := s.Draft(ctx, "e1", "2026-11")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	stored, serr := s.Draft(ctx, "e1", "2026-11")
	if (cerr == nil) != (serr == nil) || cached.UpdatedBy != stored.UpdatedBy {
		t.Fatalf("cached draft %q (%v), file holds %q (%v)", cached.UpdatedBy, cerr, stored.UpdatedBy, serr)
	}
}
