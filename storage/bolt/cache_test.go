package bolt_test

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// TestEnterpriseListFollowsWrites checks that the cached list, enterprise and contact never
// show a state older than the last write of any kind that touches enterprises or contacts.
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
	// Read both before the write that changes them, so that they are cached.
	if _, err := s.Contact(ctx, "c1"); err == nil {
		t.Fatal("a contact before binding")
	}
	if e, err := s.Enterprise(ctx, "e2"); err != nil || e.LiaisonID != "" {
		t.Fatalf("e2 before Redeem: %+v, %v", e, err)
	}
	if _, err := s.Redeem(ctx, "h", storage.Contact{ID: "c1"}, now); err != nil {
		t.Fatal(err)
	}
	if es := list(); es[1].LiaisonID != "c1" {
		t.Fatalf("after Redeem: %+v", es[1])
	}
	if e, err := s.Enterprise(ctx, "e2"); err != nil || e.LiaisonID != "c1" {
		t.Fatalf("e2 after Redeem: %+v, %v", e, err)
	}
	if c, err := s.Contact(ctx, "c1"); err != nil || c.EnterpriseID != "e2" {
		t.Fatalf("c1 after Redeem: %+v, %v", c, err)
	}
	if _, err := s.Unbind(ctx, "c1"); err != nil {
		t.Fatal(err)
	}
	if es := list(); es[1].LiaisonID != "" {
		t.Fatalf("after Unbind: %+v", es[1])
	}
	if e, err := s.Enterprise(ctx, "e2"); err != nil || e.LiaisonID != "" {
		t.Fatalf("e2 after Unbind: %+v, %v", e, err)
	}
	if c, err := s.Contact(ctx, "c1"); err != nil || c.EnterpriseID != "" {
		t.Fatalf("c1 after Unbind: %+v, %v", c, err)
	}
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "e2", Name: "乙公司", Region: "夏县"}); err != nil {
		t.Fatal(err)
	}
	if e, err := s.Enterprise(ctx, "e2"); err != nil || e.Name != "乙公司" {
		t.Fatalf("e2 after PutEnterprise: %+v, %v", e, err)
	}
}

// TestDraftCacheKeepsTheLastWrite races many turns writing one enterprise's draft and then
// compares what the store answers, for the draft and each contact's session, with what the
// file holds once reopened.
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
				tr := storage.Turn{MessageID: fmt.Sprintf("%s-%d", contact, i), Draft: &d,
					Session: storage.Session{ContactID: contact, Version: int64(i), Cursor: fmt.Sprint(i)}}
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
	var sessions []storage.Session
	for w := range writers {
		sess, err := s.Session(ctx, fmt.Sprintf("c%d", w))
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, sess)
	}
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
	for w, cached := range sessions {
		stored, err := s.Session(ctx, cached.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(cached, stored) || cached.Version != turns || len(cached.Recent) != storage.RecentMessages {
			t.Errorf("session of c%d: cached %+v, file holds %+v", w, cached, stored)
		}
	}
}

// TestSubmissionsFollowWrites reads an enterprise's submissions while other goroutines add
// them: every list read after a commit returned holds that submission; a list read before
// Import is not the one after.
func TestSubmissionsFollowWrites(t *testing.T) {
	ctx := context.Background()
	s := MustOpen(t)
	const writers, each = 4, 15
	sub := func(w, i int) storage.Submission {
		return storage.Submission{EnterpriseID: "e1", Period: fmt.Sprintf("2026-%02d", w+1), Version: i + 1,
			Answers: survey.Answers{"industry": {Text: fmt.Sprint(w, i)}}}
	}
	done := make(chan error, writers)
	for w := range writers {
		go func() {
			for i := range each {
				x := sub(w, i)
				tr := storage.Turn{Session: storage.Session{ContactID: fmt.Sprintf("c%d", w), Version: int64(i)}, Submission: &x}
				if err := s.CommitTurn(ctx, tr); err != nil {
					done <- err
					return
				}
				subs, err := s.Submissions(ctx, "e1")
				if err != nil {
					done <- err
					return
				}
				if !slices.ContainsFunc(subs, func(got storage.Submission) bool {
					return got.Period == x.Period && got.Version == x.Version
				}) {
					done <- fmt.Errorf("%s v%d committed, not listed after", x.Period, x.Version)
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
	subs, err := s.Submissions(ctx, "e1")
	if err != nil || len(subs) != writers*each {
		t.Fatalf("%d submissions (%v), want %d", len(subs), err, writers*each)
	}

	other := MustOpen(t)
	x := sub(0, 0)
	x.Answers = survey.Answers{"industry": {Text: "导入的"}}
	if err := other.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: "c"}, Submission: &x}); err != nil {
		t.Fatal(err)
	}
	dump, err := other.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fresh := MustOpen(t)
	if subs, err := fresh.Submissions(ctx, "e1"); err != nil || len(subs) != 0 {
		t.Fatalf("a new store lists %+v (%v)", subs, err)
	}
	if err := fresh.Import(ctx, dump); err != nil {
		t.Fatal(err)
	}
	subs, err = fresh.Submissions(ctx, "e1")
	if err != nil || len(subs) != 1 || subs[0].Answers["industry"].Text != "导入的" {
		t.Fatalf("after Import: %+v (%v)", subs, err)
	}
}

// TestCarriedEncodingFollowsTheMap commits drafts that share their carried answers, as the
// turns of a monthly update do, and then one with other carried answers, reading the file back
// after each pair.
func TestCarriedEncodingFollowsTheMap(t *testing.T) {
	ctx := context.Background()
	path := t.TempDir() + "/innobot.db"
	carried := survey.Answers{"plan": {Text: "上期计划"}, "has_projects": {Bool: true}}
	draft := func(answer string, c survey.Answers) storage.Draft {
		return storage.Draft{EnterpriseID: "e1", Period: "2026-11", Answers: survey.Answers{"industry": {Text: answer}}, Carried: c}
	}
	version := int64(0)
	for _, pair := range [][2]storage.Draft{
		{draft("一", carried), draft("二", carried)},
		{draft("三", carried), draft("四", survey.Answers{"plan": {Text: "另一份"}})},
	} {
		s, err := bolt.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range pair {
			if err := s.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: "c", Version: version}, Draft: &d}); err != nil {
				t.Fatal(err)
			}
			version++
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s, err = bolt.Open(path); err != nil {
			t.Fatal(err)
		}
		got, err := s.Draft(ctx, "e1", "2026-11")
		s.Close()
		if want := pair[1]; err != nil || !reflect.DeepEqual(got.Answers, want.Answers) || !reflect.DeepEqual(got.Carried, want.Carried) {
			t.Fatalf("read back %+v (%v), want %+v", got, err, want)
		}
	}
}
