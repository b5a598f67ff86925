package storetest

import (
	"fmt"
	"reflect"
	"slices"
	"testing"

	"innobot/storage"
	"innobot/survey"
)

var enterpriseTests = []subtest{
	{"PutGet", func(t *testing.T, s storage.Store) {
		want := sampleEnterprise("E1")
		mustPutEnterprise(t, s, want)
		same(t, "Enterprise(E1)", mustEnterprise(t, s, "E1"), want, normEnterprise)
	}},
	{"PutKeepsLiaison", func(t *testing.T, s storage.Store) {
		// The liaison is Redeem's to set: a put (a re-import) neither sets nor drops it.
		e := sampleEnterprise("E1")
		e.LiaisonID = "forged"
		mustPutEnterprise(t, s, e)
		if got := mustEnterprise(t, s, "E1").LiaisonID; got != "" {
			t.Errorf("LiaisonID set by a put: %q", got)
		}
		mustPutInvite(t, s, liaisonInvite("h-1", "E1", at(0)))
		mustRedeem(t, s, "h-1", "c-1", at(1))
		e.LiaisonID = ""
		e.Name = "改名后有限公司"
		mustPutEnterprise(t, s, e)
		got := mustEnterprise(t, s, "E1")
		if got.LiaisonID != "c-1" || got.Name != "改名后有限公司" {
			t.Errorf("after re-put: LiaisonID %q name %q, want c-1 and the new name", got.LiaisonID, got.Name)
		}
	}},
	{"Replace", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		want := storage.Enterprise{ID: "E1", Name: "新名称有限公司", Region: "永济市", UpdatedAt: at(60)}
		mustPutEnterprise(t, s, want)
		same(t, "Enterprise(E1) after replace", mustEnterprise(t, s, "E1"), want, normEnterprise)
		all, err := s.Enterprises(t.Context())
		if err != nil {
			t.Fatalf("Enterprises: %v", err)
		}
		if len(all) != 1 {
			t.Fatalf("Enterprises after replacing one: %d, want 1", len(all))
		}
	}},
	{"NotFound", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		for _, id := range []string{"E2", "E", "E10", ""} {
			_, err := s.Enterprise(t.Context(), id)
			wantErr(t, "Enterprise("+id+")", err, storage.ErrNotFound)
		}
	}},
	{"ListOrderedByID", func(t *testing.T, s storage.Store) {
		all, err := s.Enterprises(t.Context())
		if err != nil {
			t.Fatalf("Enterprises of an empty store: %v", err)
		}
		if len(all) != 0 {
			t.Fatalf("Enterprises of an empty store: %d, want none", len(all))
		}
		ids := []string{"E3", "E10", "E1", "140802", "E2", "A", "盐湖01"}
		for _, id := range ids {
			mustPutEnterprise(t, s, sampleEnterprise(id))
		}
		all, err = s.Enterprises(t.Context())
		if err != nil {
			t.Fatalf("Enterprises: %v", err)
		}
		var got []string
		for i, e := range all {
			got = append(got, e.ID)
			same(t, "Enterprises()["+e.ID+"]", all[i], sampleEnterprise(e.ID), normEnterprise)
		}
		if want := slices.Sorted(slices.Values(ids)); !slices.Equal(got, want) {
			t.Errorf("Enterprises ids %q, want %q", got, want)
		}
	}},
}

var contactTests = []subtest{
	{"NotFound", func(t *testing.T, s storage.Store) {
		_, err := s.Contact(t.Context(), "c-never")
		wantErr(t, "Contact of one never bound", err, storage.ErrNotFound)
	}},
	{"SessionIsNotBinding", func(t *testing.T, s storage.Store) {
		// Talking to the bot gives a session, not a binding: rights come only from a code.
		mustCommit(t, s, turn("m1", "c-1", 0))
		_, err := s.Contact(t.Context(), "c-1")
		wantErr(t, "Contact of one with a session only", err, storage.ErrNotFound)
	}},
}

var sessionTests = []subtest{
	{"Unknown", func(t *testing.T, s storage.Store) {
		got := mustSession(t, s, "c-new")
		same(t, "Session of an unknown contact", got, storage.Session{ContactID: "c-new"}, normSession)
	}},
	{"StoredWithNextVersion", func(t *testing.T, s storage.Store) {
		var ids []string
		for v := range int64(3) {
			read := mustSession(t, s, "c-1")
			if read.Version != v {
				t.Fatalf("Session version %d, want %d", read.Version, v)
			}
			tr := turn("m"+string(rune('a'+v)), "c-1", read.Version)
			tr.Session.Cursor = fmt.Sprintf("q%d", v)
			mustCommit(t, s, tr)
			ids = append(ids, tr.MessageID)
			want := tr.Session
			want.Version, want.Recent = v+1, ids
			same(t, "Session after commit", mustSession(t, s, "c-1"), want, normSession)
		}
		same(t, "Session of another contact", mustSession(t, s, "c-2"), storage.Session{ContactID: "c-2"}, normSession)
	}},
	{"Cleared", func(t *testing.T, s storage.Store) {
		// The dialog clears fields by committing a session without them; nothing of the old
		// session may linger but its recent message ids, which are the store's to keep.
		mustCommit(t, s, turn("m1", "c-1", 0))
		tr := storage.Turn{MessageID: "m2", At: at(9), Session: storage.Session{ContactID: "c-1", Version: 1}}
		mustCommit(t, s, tr)
		same(t, "Session after clearing", mustSession(t, s, "c-1"),
			storage.Session{ContactID: "c-1", Version: 2, Recent: []string{"m1", "m2"}}, normSession)
	}},
	{"RemembersRecentMessages", func(t *testing.T, s storage.Store) {
		// Each turn's id joins the session's recent ids, the oldest beyond the limit dropped,
		// whatever the caller passes in Recent. The ids dropped are still handled: a backlog
		// delivered again after a restart is longer than any window.
		n := storage.RecentMessages + 2
		for v := range int64(n) {
			tr := turn(fmt.Sprintf("m%d", v), "c-1", v)
			tr.Session.Recent = []string{"made-up"}
			mustCommit(t, s, tr)
		}
		got := mustSession(t, s, "c-1").Recent
		if len(got) != storage.RecentMessages || got[0] != "m2" || got[len(got)-1] != fmt.Sprintf("m%d", n-1) {
			t.Errorf("Recent = %v, want m2 … m%d", got, n-1)
		}
		for id, want := range map[string]bool{"m0": true, "m1": true, "m2": true, fmt.Sprintf("m%d", n-1): true, "made-up": false} {
			if got := mustHandled(t, s, "c-1", id); got != want {
				t.Errorf("Handled(c-1, %s) = %v, want %v", id, got, want)
			}
		}
		before := look(t, s, "c-1", "E1", []string{"2026-11"}, nil)
		for v := range int64(n) {
			// Delivered again, oldest first, each made into a turn from the session as it is.
			again := turn(fmt.Sprintf("m%d", v), "c-1", int64(n))
			d := sampleDraft("E1", "2026-11", "replayed")
			again.Draft = &d
			mustCommit(t, s, again)
		}
		sameSnapshot(t, "after the whole backlog came again", look(t, s, "c-1", "E1", []string{"2026-11"}, nil), before)
		// A turn without a message id keeps the ids as they are.
		mustCommit(t, s, turn("", "c-1", int64(n)))
		if again := mustSession(t, s, "c-1").Recent; !slices.Equal(again, got) {
			t.Errorf("Recent after a turn without an id = %v, want %v", again, got)
		}
	}},
}

var roundTripTests = []subtest{
	{"Draft", func(t *testing.T, s storage.Store) {
		want := sampleDraft("E1", "2026-11", "c-1")
		tr := turn("m1", "c-1", 0)
		tr.Draft = &want
		mustCommit(t, s, tr)
		got, err := s.Draft(t.Context(), "E1", "2026-11")
		if err != nil {
			t.Fatalf("Draft: %v", err)
		}
		same(t, "Draft", got, want, normDraft)
		if v, ok := got.Answers["no_project"]; !ok || !reflect.DeepEqual(normValue(v), survey.Value{}) {
			t.Errorf("a zero answer (无) came back as %+v, present %v", v, ok)
		}
		if got.Answers["rd_spend"].Num != 1.2345 {
			t.Errorf("1.2345 came back as %v", got.Answers["rd_spend"].Num)
		}
		if !got.UpdatedAt.Equal(want.UpdatedAt) {
			t.Errorf("UpdatedAt %v, want %v", got.UpdatedAt, want.UpdatedAt)
		}
	}},
	{"EmptyDraft", func(t *testing.T, s storage.Store) {
		want := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: survey.Answers{}}
		tr := turn("m1", "c-1", 0)
		tr.Draft = &want
		mustCommit(t, s, tr)
		got, err := s.Draft(t.Context(), "E1", "2026-11")
		if err != nil {
			t.Fatalf("Draft: %v", err)
		}
		same(t, "empty Draft", got, want, normDraft)
	}},
	{"Submission", func(t *testing.T, s storage.Store) {
		want := sampleSubmission("E1", "2026-11", 1)
		tr := turn("m1", "c-1", 0)
		tr.Submission = &want
		mustCommit(t, s, tr)
		got := mustSubmissions(t, s, "E1")
		same(t, "Submissions", got, []storage.Submission{want}, normSubmissions)
	}},
	{"Session", func(t *testing.T, s storage.Store) {
		tr := turn("m1", "c-1", 0)
		tr.Session.Pending = &survey.Value{Multi: []int{1, 3}, Num: 1.2345, Skipped: true}
		mustCommit(t, s, tr)
		want := tr.Session
		want.Version, want.Recent = 1, []string{"m1"}
		same(t, "Session", mustSession(t, s, "c-1"), want, normSession)
	}},
}
