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
		for v := range int64(3) {
			read := mustSession(t, s, "c-1")
			if read.Version != v {
				t.Fatalf("Session version %d, want %d", read.Version, v)
			}
			tr := turn("m"+string(rune('a'+v)), "c-1", read.Version)
			tr.Session.Cursor = fmt.Sprintf("q%d", v)
			mustCommit(t, s, tr)
			want := tr.Session
			want.Version = v + 1
			same(t, "Session after commit", mustSession(t, s, "c-1"), want, normSession)
		}
		same(t, "Session of another contact", mustSession(t, s, "c-2"), storage.Session{ContactID: "c-2"}, normSession)
	}},
	{"Cleared", func(t *testing.T, s storage.Store) {
		// The dialog clears fields by committing a session without them; nothing of the old
		// session may linger.
		mustCommit(t, s, turn("m1", "c-1", 0))
		tr := storage.Turn{Answer: storage.Answer{MessageID: "m2", At: at(9)}, Session: storage.Session{ContactID: "c-1", Version: 1}}
		mustCommit(t, s, tr)
		same(t, "Session after clearing", mustSession(t, s, "c-1"),
			storage.Session{ContactID: "c-1", Version: 2}, normSession)
	}},
	{"BacklogDeliveredAgain", func(t *testing.T, s storage.Store) {
		// Every turn's id is handled, by the id alone: a whole backlog delivered again after
		// a restart, each message stamped with a new time (as the simulator does), writes
		// nothing, however long it is.
		const n = 20
		for v := range int64(n) {
			mustCommit(t, s, turn(fmt.Sprintf("m%d", v), "c-1", v))
		}
		before := look(t, s, "c-1", "E1", []string{"2026-11"}, nil)
		for v := range int64(n) {
			again := turn(fmt.Sprintf("m%d", v), "c-1", int64(n))
			again.At = at(1000 + int(v))
			d := sampleDraft("E1", "2026-11", "replayed")
			again.Draft = &d
			mustCommit(t, s, again)
			if !mustHandled(t, s, again.MessageID) {
				t.Errorf("Handled(%s) false after its turn", again.MessageID)
			}
		}
		sameSnapshot(t, "after the whole backlog came again", look(t, s, "c-1", "E1", []string{"2026-11"}, nil), before)
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
		want.Version = 1
		same(t, "Session", mustSession(t, s, "c-1"), want, normSession)
	}},
}
