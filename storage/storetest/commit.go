package storetest

import (
	"fmt"
	"testing"

	"innobot/storage"
)

var commitTests = []subtest{
	{"StaleSessionWritesNothing", testStaleSession},
	{"Draft", testDraft},
	{"Submission", testSubmission},
	{"SubmissionVersionWritesNothing", testSubmissionConflict},
	{"SubmissionsOrdered", testSubmissionOrder},
	{"SameMessageTwice", testSameMessage},
	{"Handled", testHandled},
	{"EmptyMessageID", testEmptyMessageID},
	{"AnswerAndPruneHandled", testMarkHandled},
}

func testStaleSession(t *testing.T, s storage.Store) {
	prior := sampleDraft("E1", "2026-11", "first")
	tr := turn("m1", "c-1", 0)
	tr.Draft = &prior
	tr.Submission = &storage.Submission{EnterpriseID: "E1", Period: "2026-10", Version: 1}
	mustCommit(t, s, tr)
	mustCommit(t, s, turn("m2", "c-1", 1)) // stored version is now 2

	periods := []string{"2026-10", "2026-11", "2026-12"}
	for _, read := range []int64{0, 1, 3, 10, -1} {
		t.Run(fmt.Sprintf("read%d", read), func(t *testing.T) {
			msg := fmt.Sprintf("stale-%d", read)
			before := look(t, s, "c-1", "E1", periods, []string{msg})
			d := sampleDraft("E1", "2026-12", "stale")
			stale := turn(msg, "c-1", read)
			stale.Session.State = "stale"
			stale.Draft = &d
			stale.DropDraft = &storage.DraftKey{EnterpriseID: "E1", Period: "2026-11"}
			stale.Submission = &storage.Submission{EnterpriseID: "E1", Period: "2026-10", Version: 2}
			err := s.CommitTurn(t.Context(), stale)
			wantErr(t, "CommitTurn read at a stale version", err, storage.ErrConflict)
			sameSnapshot(t, "after a stale turn", look(t, s, "c-1", "E1", periods, []string{msg}), before)
		})
	}
	if got := mustSession(t, s, "c-1").Version; got != 2 {
		t.Errorf("session version after refused turns %d, want 2", got)
	}
}

func testDraft(t *testing.T, s storage.Store) {
	ctx := t.Context()
	version := int64(0)
	commit := func(msg string, draft *storage.Draft, drop *storage.DraftKey) {
		t.Helper()
		tr := turn(msg, "c-1", version)
		tr.Draft, tr.DropDraft = draft, drop
		mustCommit(t, s, tr)
		version++
	}
	check := func(what, enterpriseID, period string, want *storage.Draft) {
		t.Helper()
		got := draftOrNil(t, s, enterpriseID, period)
		switch {
		case want == nil && got != nil:
			t.Errorf("%s: draft %s %s is %+v, want none", what, enterpriseID, period, *got)
		case want != nil && got == nil:
			t.Errorf("%s: draft %s %s missing", what, enterpriseID, period)
		case want != nil:
			same(t, what, *got, *want, normDraft)
		}
	}

	_, err := s.Draft(ctx, "E1", "2026-11")
	wantErr(t, "Draft never written", err, storage.ErrNotFound)

	d1 := sampleDraft("E1", "2026-11", "c-1")
	commit("m1", &d1, nil)
	check("written", "E1", "2026-11", &d1)

	d2 := storage.Draft{EnterpriseID: "E1", Period: "2026-11", Answers: sampleAnswers(), UpdatedBy: "c-2", UpdatedAt: at(30)}
	delete(d2.Answers, "six")
	commit("m2", &d2, nil)
	check("replaced", "E1", "2026-11", &d2)

	other := sampleDraft("E1", "2026-12", "c-1")
	otherEnt := sampleDraft("E10", "2026-11", "c-1")
	commit("m3", &other, nil)
	commit("m4", &otherEnt, nil)
	check("other period", "E1", "2026-12", &other)
	check("other enterprise", "E10", "2026-11", &otherEnt)
	check("first draft after writing others", "E1", "2026-11", &d2)

	commit("m5", nil, &storage.DraftKey{EnterpriseID: "E1", Period: "2026-11"})
	check("dropped", "E1", "2026-11", nil)
	check("other period after drop", "E1", "2026-12", &other)
	check("other enterprise after drop", "E10", "2026-11", &otherEnt)
	_, err = s.Draft(ctx, "E1", "2026-11")
	wantErr(t, "Draft after DropDraft", err, storage.ErrNotFound)

	commit("m6", nil, &storage.DraftKey{EnterpriseID: "E1", Period: "2026-11"})
	check("dropping a missing draft", "E1", "2026-11", nil)

	// A submission turn: the period's draft goes, the next period's starts, in one turn.
	next := sampleDraft("E10", "2026-12", "c-1")
	commit("m7", &next, &storage.DraftKey{EnterpriseID: "E10", Period: "2026-11"})
	check("dropped with another written", "E10", "2026-11", nil)
	check("written with another dropped", "E10", "2026-12", &next)
}

func testSubmission(t *testing.T, s storage.Store) {
	if subs := mustSubmissions(t, s, "E1"); len(subs) != 0 {
		t.Fatalf("Submissions of an enterprise with none: %s", show(subs))
	}
	var want []storage.Submission
	version := int64(0)
	for i, sub := range []storage.Submission{
		sampleSubmission("E1", "2026-11", 1),
		sampleSubmission("E1", "2026-11", 2),
		sampleSubmission("E1", "2026-12", 1),
	} {
		sub.SubmittedBy = fmt.Sprintf("c-%d", i)
		tr := turn(fmt.Sprintf("m%d", i), "c-1", version)
		tr.Submission = &sub
		mustCommit(t, s, tr)
		version++
		want = append(want, sub)
		same(t, "Submissions after appending", mustSubmissions(t, s, "E1"), want, normSubmissions)
	}
}

func testSubmissionConflict(t *testing.T, s storage.Store) {
	first := sampleSubmission("E1", "2026-10", 1)
	tr := turn("m0", "c-1", 0)
	tr.Submission = &first
	mustCommit(t, s, tr)
	version := int64(1)

	periods := []string{"2026-10", "2026-11"}
	tests := []struct {
		name               string
		enterprise, period string
		version            int
		ok                 bool
	}{
		{"taken", "E1", "2026-10", 1, false},
		{"zero", "E1", "2026-10", 0, false},
		{"negative", "E1", "2026-10", -1, false},
		{"skips one", "E1", "2026-10", 3, false},
		{"first of another period not 1", "E1", "2026-11", 2, false},
		{"next", "E1", "2026-10", 2, true},
		{"next again", "E1", "2026-10", 3, true},
		{"first of another period", "E1", "2026-11", 1, true},
		{"first of another enterprise", "E10", "2026-10", 1, true},
		{"taken after others", "E1", "2026-10", 2, false},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg := fmt.Sprintf("m%d", i+1)
			before := look(t, s, "c-1", tc.enterprise, periods, []string{msg})
			sub := sampleSubmission(tc.enterprise, tc.period, tc.version)
			d := sampleDraft(tc.enterprise, "2026-11", "c-1")
			tr := turn(msg, "c-1", version)
			tr.Session.Cursor = fmt.Sprintf("q%d", i)
			tr.Submission = &sub
			tr.Draft = &d
			err := s.CommitTurn(t.Context(), tr)
			if !tc.ok {
				wantErr(t, fmt.Sprintf("submission %s %s version %d", tc.enterprise, tc.period, tc.version), err, storage.ErrConflict)
				sameSnapshot(t, "after a refused submission", look(t, s, "c-1", tc.enterprise, periods, []string{msg}), before)
				return
			}
			if err != nil {
				t.Fatalf("submission %s %s version %d: %v", tc.enterprise, tc.period, tc.version, err)
			}
			version++
			subs := mustSubmissions(t, s, tc.enterprise)
			if len(subs) != len(before.Submissions)+1 {
				t.Fatalf("submissions %s, want one more than %s", show(subs), show(before.Submissions))
			}
			if got := mustSession(t, s, "c-1").Version; got != version {
				t.Errorf("session version %d, want %d", got, version)
			}
		})
	}
}

func testSubmissionOrder(t *testing.T, s storage.Store) {
	// Periods written out of order, more than nine versions (so "10" must sort after "9") and
	// an enterprise whose id is a prefix of another's.
	type key struct {
		enterprise, period string
		version            int
	}
	var writes []key
	for _, p := range []string{"2026-10", "2025-12", "2026-02"} {
		writes = append(writes, key{"E1", p, 1}, key{"E10", p, 1})
	}
	for v := 2; v <= 11; v++ {
		writes = append(writes, key{"E1", "2025-12", v})
	}
	writes = append(writes, key{"E1", "2026-10", 2}, key{"E", "2026-10", 1})
	for i, w := range writes {
		sub := sampleSubmission(w.enterprise, w.period, w.version)
		tr := turn(fmt.Sprintf("m%d", i), "c-1", int64(i))
		tr.Submission = &sub
		mustCommit(t, s, tr)
	}

	var want []storage.Submission
	for _, p := range []struct {
		period   string
		versions int
	}{{"2025-12", 11}, {"2026-02", 1}, {"2026-10", 2}} {
		for v := 1; v <= p.versions; v++ {
			want = append(want, sampleSubmission("E1", p.period, v))
		}
	}
	same(t, "Submissions(E1)", mustSubmissions(t, s, "E1"), want, normSubmissions)
	if got := mustSubmissions(t, s, "E10"); len(got) != 3 {
		t.Errorf("Submissions(E10): %s, want 3", show(got))
	}
	if got := mustSubmissions(t, s, "E"); len(got) != 1 {
		t.Errorf("Submissions(E): %s, want 1", show(got))
	}
	if got := mustSubmissions(t, s, "E2"); len(got) != 0 {
		t.Errorf("Submissions(E2): %s, want none", show(got))
	}
}

func testSameMessage(t *testing.T, s storage.Store) {
	d := sampleDraft("E1", "2026-11", "c-1")
	sub := sampleSubmission("E1", "2026-10", 1)
	tr := turn("m1", "c-1", 0)
	tr.Draft = &d
	tr.Submission = &sub
	mustCommit(t, s, tr)

	periods := []string{"2026-10", "2026-11", "2026-12"}
	after := look(t, s, "c-1", "E1", periods, []string{"m1"})
	if after.Session.Version != 1 || !after.Handled["m1"] || len(after.Submissions) != 1 {
		t.Fatalf("after the first commit: %+v", after)
	}

	// Delivered again as it was (a retried write), then with other content (a redelivered
	// message the dialog ran again from a newer session): both are done already.
	if err := s.CommitTurn(t.Context(), tr); err != nil {
		t.Fatalf("the same turn again: %v, want nil", err)
	}
	sameSnapshot(t, "after the same turn again", look(t, s, "c-1", "E1", periods, []string{"m1"}), after)

	again := turn("m1", "c-1", 1)
	again.Session.State = "again"
	d2 := sampleDraft("E1", "2026-12", "again")
	sub2 := sampleSubmission("E1", "2026-10", 2)
	again.Draft = &d2
	again.Submission = &sub2
	again.DropDraft = &storage.DraftKey{EnterpriseID: "E1", Period: "2026-11"}
	if err := s.CommitTurn(t.Context(), again); err != nil {
		t.Fatalf("another turn with a handled message id: %v, want nil", err)
	}
	sameSnapshot(t, "after another turn with the same message id", look(t, s, "c-1", "E1", periods, []string{"m1"}), after)

	// The message id is not tied to the contact: ids are unique per transport.
	other := turn("m1", "c-2", 0)
	if err := s.CommitTurn(t.Context(), other); err != nil {
		t.Fatalf("a handled message id for another contact: %v, want nil", err)
	}
	if v := mustSession(t, s, "c-2").Version; v != 0 {
		t.Errorf("session of c-2 written by a handled message id: version %d", v)
	}
}

func testHandled(t *testing.T, s storage.Store) {
	if mustHandled(t, s, "m1") {
		t.Fatal("Handled(m1) before any commit")
	}
	refused := turn("m1", "c-1", 5)
	err := s.CommitTurn(t.Context(), refused)
	wantErr(t, "stale turn", err, storage.ErrConflict)
	if mustHandled(t, s, "m1") {
		t.Fatal("Handled(m1) after its turn was refused")
	}
	mustCommit(t, s, turn("m1", "c-1", 0))
	if !mustHandled(t, s, "m1") {
		t.Fatal("Handled(m1) false after its turn was committed")
	}
	for _, id := range []string{"m2", "m", "m10", ""} {
		if mustHandled(t, s, id) {
			t.Errorf("Handled(%q) true, never committed", id)
		}
	}
}

func testEmptyMessageID(t *testing.T, s storage.Store) {
	// Turns not made from a message (a timeout, an operator command) have no id; they are
	// never taken for a duplicate of each other.
	for v := range int64(3) {
		tr := turn("", "c-1", v)
		d := sampleDraft("E1", "2026-11", fmt.Sprint(v))
		tr.Draft = &d
		mustCommit(t, s, tr)
		got := draftOrNil(t, s, "E1", "2026-11")
		if got == nil || got.UpdatedBy != fmt.Sprint(v) {
			t.Fatalf("turn %d without a message id did not write its draft: %+v", v, got)
		}
	}
	if v := mustSession(t, s, "c-1").Version; v != 3 {
		t.Errorf("session version after three turns without message ids: %d, want 3", v)
	}
	if mustHandled(t, s, "") {
		t.Error(`Handled("") true`)
	}
}

func testMarkHandled(t *testing.T, s storage.Store) {
	ctx := t.Context()
	if err := s.Answer(ctx, storage.Answer{At: at(0)}); err != nil {
		t.Fatalf("Answer without a message id: %v", err)
	}
	if mustHandled(t, s, "") {
		t.Error(`Handled("") true after an answer without an id`)
	}
	for i, id := range []string{"q1", "q2"} {
		if err := s.Answer(ctx, storage.Answer{MessageID: id, At: at(i * 60)}); err != nil {
			t.Fatalf("Answer(%s): %v", id, err)
		}
	}
	if !mustHandled(t, s, "q1") || !mustHandled(t, s, "q2") {
		t.Fatal("an answered message is not handled")
	}
	// A turn made from a message already handled writes nothing.
	tr := turn("q1", "c-1", 0)
	d := sampleDraft("E1", "2026-11", "c-1")
	tr.Draft = &d
	mustCommit(t, s, tr)
	if draftOrNil(t, s, "E1", "2026-11") != nil || mustSession(t, s, "c-1").Version != 0 {
		t.Error("a turn of a message answered before was written")
	}
	later := turn("m1", "c-1", 0)
	later.At = at(90)
	mustCommit(t, s, later)
	n, err := s.PruneHandled(ctx, at(30))
	if err != nil {
		t.Fatalf("PruneHandled: %v", err)
	}
	if n != 1 || mustHandled(t, s, "q1") || !mustHandled(t, s, "q2") || !mustHandled(t, s, "m1") {
		t.Errorf("PruneHandled(at 30) removed %d; q1 handled %v, q2 handled %v; want 1, false, true",
			n, mustHandled(t, s, "q1"), mustHandled(t, s, "q2"))
	}
}
