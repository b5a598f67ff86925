package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"

	"innobot/storage"
)

var concurrentTests = []subtest{
	{"DifferentContacts", func(t *testing.T, s storage.Store) {
		const n = 50
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				tr := turn(fmt.Sprintf("m%d", i), fmt.Sprintf("c-%d", i), 0)
				d := sampleDraft(fmt.Sprintf("E%d", i), "2026-11", tr.Session.ContactID)
				sub := sampleSubmission(fmt.Sprintf("E%d", i), "2026-10", 1)
				tr.Draft, tr.Submission = &d, &sub
				errs[i] = s.CommitTurn(t.Context(), tr)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("turn %d: %v", i, err)
			}
		}
		for i := range n {
			c, e := fmt.Sprintf("c-%d", i), fmt.Sprintf("E%d", i)
			if v := mustSession(t, s, c).Version; v != 1 {
				t.Errorf("session %s version %d, want 1", c, v)
			}
			if d := draftOrNil(t, s, e, "2026-11"); d == nil || d.UpdatedBy != c {
				t.Errorf("draft of %s: %+v, want one by %s", e, d, c)
			}
			if subs := mustSubmissions(t, s, e); len(subs) != 1 {
				t.Errorf("submissions of %s: %s, want 1", e, show(subs))
			}
			if !mustHandled(t, s, fmt.Sprintf("m%d", i)) {
				t.Errorf("message m%d not handled", i)
			}
		}
	}},
	{"SameSession", func(t *testing.T, s storage.Store) {
		// Two instances (or a bug in the router) running turns of one contact from the same
		// read: one wins, the rest must reload. Each turn writes its own draft, so a loser
		// that wrote anything shows up.
		mustCommit(t, s, turn("m-first", "c-1", 0))
		read := mustSession(t, s, "c-1")
		winner := race(t, s, 10, func(i int) storage.Turn {
			tr := turn(fmt.Sprintf("m%d", i), "c-1", read.Version)
			tr.Session.State = fmt.Sprintf("g%d", i)
			d := sampleDraft("E1", "2026-11", tr.Session.State)
			tr.Draft = &d
			return tr
		})
		sess := mustSession(t, s, "c-1")
		if want := fmt.Sprintf("g%d", winner); sess.State != want || sess.Version != read.Version+1 {
			t.Errorf("session state %q version %d, want the winner's %q version %d",
				sess.State, sess.Version, want, read.Version+1)
		}
		if d := draftOrNil(t, s, "E1", "2026-11"); d == nil || d.UpdatedBy != fmt.Sprintf("g%d", winner) {
			t.Errorf("draft %+v, want the winner's", d)
		}
		checkHandledOnly(t, s, 10, winner, func(int) string { return "c-1" })
	}},
	{"SameSubmissionVersion", func(t *testing.T, s storage.Store) {
		// Two liaisons' sessions (a handover in flight) submitting the same period: versions
		// are never shared.
		winner := race(t, s, 10, func(i int) storage.Turn {
			tr := turn(fmt.Sprintf("m%d", i), fmt.Sprintf("c-%d", i), 0)
			sub := sampleSubmission("E1", "2026-11", 1)
			sub.SubmittedBy = tr.Session.ContactID
			tr.Submission = &sub
			return tr
		})
		subs := mustSubmissions(t, s, "E1")
		if len(subs) != 1 || subs[0].SubmittedBy != fmt.Sprintf("c-%d", winner) {
			t.Errorf("submissions %s, want the winner's only", show(subs))
		}
		for i := range 10 {
			want := int64(0)
			if i == winner {
				want = 1
			}
			if v := mustSession(t, s, fmt.Sprintf("c-%d", i)).Version; v != want {
				t.Errorf("session c-%d version %d, want %d", i, v, want)
			}
		}
		checkHandledOnly(t, s, 10, winner, func(i int) string { return fmt.Sprintf("c-%d", i) })
	}},
}

// race commits n turns at once and returns the index of the one that succeeded, failing the
// test unless exactly one did and every other got ErrConflict.
func race(t *testing.T, s storage.Store, n int, mk func(i int) storage.Turn) int {
	t.Helper()
	turns := make([]storage.Turn, n)
	for i := range n {
		turns[i] = mk(i)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = s.CommitTurn(t.Context(), turns[i])
		})
	}
	close(start)
	wg.Wait()
	winner := -1
	for i, err := range errs {
		switch {
		case err == nil && winner < 0:
			winner = i
		case err == nil:
			t.Errorf("turns %d and %d both succeeded", winner, i)
		case !errors.Is(err, storage.ErrConflict):
			t.Errorf("turn %d: %v, want ErrConflict", i, err)
		}
	}
	if winner < 0 {
		t.Fatalf("no turn succeeded: %v", errs)
	}
	return winner
}

// checkHandledOnly checks that of messages m0…m(n-1) only the winner's is handled: a refused
// turn must not mark its message, or its retry would be dropped as a duplicate.
func checkHandledOnly(t *testing.T, s storage.Store, n, winner int, contact func(int) string) {
	t.Helper()
	for i := range n {
		if got := mustHandled(t, s, fmt.Sprintf("m%d", i)); got != (i == winner) {
			t.Errorf("Handled(m%d) = %v, winner %d", i, got, winner)
		}
	}
}
