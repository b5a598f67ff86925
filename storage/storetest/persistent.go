package storetest

import (
	"sync"
	"testing"

	"innobot/storage"
)

// opened opens a store and returns it with a function that closes it once, whether the test
// calls it or the test ends first.
func opened(t *testing.T, open func(t *testing.T, dir string) storage.Store, dir string) (storage.Store, func()) {
	t.Helper()
	s := open(t, dir)
	var once sync.Once
	closeFn := func() {
		once.Do(func() {
			if err := s.Close(); err != nil {
				t.Errorf("Close: %v", err)
			}
		})
	}
	t.Cleanup(closeFn)
	return s, closeFn
}

func testReopen(t *testing.T, open func(t *testing.T, dir string) storage.Store) {
	dir := t.TempDir()
	ctx := t.Context()

	// First life: one of everything.
	s, closeS := opened(t, open, dir)
	e1, e2 := sampleEnterprise("E1"), sampleEnterprise("E2")
	mustPutEnterprise(t, s, e1)
	mustPutEnterprise(t, s, e2)
	mustPutInvite(t, s, liaisonInvite("h-used", "E1", at(0)))
	mustPutInvite(t, s, liaisonInvite("h-free", "E2", at(0)))
	redeemed := mustRedeem(t, s, "h-used", "c-1", at(1))

	draft := sampleDraft("E1", "2026-11", "c-1")
	sub := sampleSubmission("E1", "2026-10", 1)
	tr := turn("m1", "c-1", 0)
	tr.Draft, tr.Submission = &draft, &sub
	mustCommit(t, s, tr)
	wantSession := tr.Session
	wantSession.Version = 1
	e1.LiaisonID = "c-1"
	closeS()

	// Second life: everything is back, and the store goes on from where it was.
	s, closeS = opened(t, open, dir)
	all, err := s.Enterprises(ctx)
	if err != nil {
		t.Fatalf("Enterprises after reopening: %v", err)
	}
	if len(all) != 2 {
		t.Fatalf("Enterprises after reopening: %d, want 2", len(all))
	}
	got1 := mustEnterprise(t, s, "E1")
	if got1.LiaisonID != "c-1" {
		t.Errorf("LiaisonID after reopening %q, want c-1", got1.LiaisonID)
	}
	sameEnterpriseBut(t, got1, e1)
	same(t, "Enterprise(E2) after reopening", mustEnterprise(t, s, "E2"), e2, normEnterprise)
	same(t, "Contact after reopening", mustContact(t, s, "c-1"), redeemed.Contact, normContact)
	same(t, "Session after reopening", mustSession(t, s, "c-1"), wantSession, normSession)
	if d := draftOrNil(t, s, "E1", "2026-11"); d == nil {
		t.Error("draft lost on reopening")
	} else {
		same(t, "Draft after reopening", *d, draft, normDraft)
	}
	same(t, "Submissions after reopening", mustSubmissions(t, s, "E1"), []storage.Submission{sub}, normSubmissions)
	if !mustHandled(t, s, "m1") {
		t.Error("Handled(m1) false after reopening")
	}

	// The message id still deduplicates, versions go on, the used code stays used.
	if err := s.CommitTurn(ctx, tr); err != nil {
		t.Fatalf("the first turn again after reopening: %v", err)
	}
	if v := mustSession(t, s, "c-1").Version; v != 1 {
		t.Errorf("a handled turn ran again after reopening: session version %d", v)
	}
	err = s.CommitTurn(ctx, turn("m-stale", "c-1", 0))
	wantErr(t, "stale turn after reopening", err, storage.ErrConflict)
	sub2 := sampleSubmission("E1", "2026-10", 2)
	tr2 := turn("m2", "c-1", 1)
	tr2.Submission = &sub2
	tr2.DropDraft = &storage.DraftKey{EnterpriseID: "E1", Period: "2026-11"}
	mustCommit(t, s, tr2)
	_, err = s.Redeem(ctx, "h-used", storage.Contact{ID: "c-2"}, at(3))
	wantErr(t, "used code after reopening", err, storage.ErrInviteUsed)
	err = s.PutInvite(ctx, liaisonInvite("h-free", "E1", at(3)))
	wantErr(t, "PutInvite of a stored hash after reopening", err, storage.ErrConflict)
	closeS()

	// Third life: what the second wrote is there too.
	s, closeS = opened(t, open, dir)
	defer closeS()
	if v := mustSession(t, s, "c-1").Version; v != 2 {
		t.Errorf("session version %d after the third open, want 2", v)
	}
	if d := draftOrNil(t, s, "E1", "2026-11"); d != nil {
		t.Errorf("dropped draft back after reopening: %+v", *d)
	}
	same(t, "Submissions after the third open", mustSubmissions(t, s, "E1"),
		[]storage.Submission{sub, sub2}, normSubmissions)
	got := mustRedeem(t, s, "h-free", "c-2", at(4))
	if got.Contact.EnterpriseID != "E2" {
		t.Errorf("unused code bound to %q after reopening, want E2", got.Contact.EnterpriseID)
	}
}
