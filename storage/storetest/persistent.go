package storetest

import (
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

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
	_, err = s.Redeem(ctx, "h-used", storage.Contact{ID: "c-2"}, at(3), nil)
	wantErr(t, "used code after reopening", err, storage.ErrInviteUsed)
	err = s.PutInvite(ctx, liaisonInvite("h-free", "E1", at(3)), nil, storage.Answer{})
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

// reopener adapts open to stores of type S: the function it returns opens dir as opened does
// and skips the test when the store is not an S.
func reopener[S storage.Store](t *testing.T, open func(t *testing.T, dir string) storage.Store) func(dir string) (S, func()) {
	return func(dir string) (S, func()) {
		t.Helper()
		st, closeFn := opened(t, open, dir)
		s, ok := st.(S)
		if !ok {
			closeFn()
			t.Skipf("the store (%T) is not a %v", st, reflect.TypeFor[S]())
		}
		return s, closeFn
	}
}

func testReopenRegistry(t *testing.T, open func(dir string) (RegistryStore, func())) {
	dir := t.TempDir()
	ctx := t.Context()
	audit := func(m int, action string) storage.AuditEntry {
		return storage.AuditEntry{At: at(m), Contact: "c-9", Name: "市办", Role: storage.RoleCityOffice, Action: action, Detail: "导出 2026-11"}
	}
	auditNorm := func(es []storage.AuditEntry) []storage.AuditEntry { return normAll(es, normAudit) }

	// First life.
	s, closeS := open(dir)
	es := []storage.Enterprise{sampleEnterprise("E1"), sampleEnterprise("E2"), sampleEnterprise("E3")}
	mustPutEnterprises(t, s, es)
	mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
	helper := sampleInvite("h2", storage.RoleHelper, at(0))
	helper.EnterpriseIDs = []string{"E2", "E3"}
	mustPutInvite(t, s, helper)
	r1, err := s.Redeem(ctx, "h1", storage.Contact{ID: "c-1", Name: "张联络", Account: "bot-1"}, at(1), nil)
	if err != nil {
		t.Fatalf("Redeem: %v", err)
	}
	mustRedeem(t, s, "h2", "c-2", at(1))
	if _, err := s.Unbind(ctx, "c-2", storage.Answer{}); err != nil {
		t.Fatalf("Unbind: %v", err)
	}
	g := sampleGroup("g1", "盐湖区")
	mustPutGroup(t, s, g)
	mustAddBindFailure(t, s, "c-3", at(0))
	mustAddBindFailure(t, s, "c-3", at(1))
	a1, a2 := audit(5, "export"), audit(5, "query")
	mustAudit(t, s, a1)
	mustAudit(t, s, a2)
	closeS()

	// Second life: all back; the log goes on without overwriting.
	s, closeS = open(dir)
	if ids := enterpriseIDs(t, s); !slices.Equal(ids, []string{"E1", "E2", "E3"}) {
		t.Errorf("Enterprises after reopening: %q", ids)
	}
	if id := mustEnterprise(t, s, "E1").LiaisonID; id != "c-1" {
		t.Errorf("LiaisonID after reopening %q, want c-1", id)
	}
	same(t, "Contacts after reopening", mustContacts(t, s),
		[]storage.Contact{r1.Contact, {ID: "c-2", Name: "name of c-2"}}, normContacts)
	same(t, "Group after reopening", mustGroup(t, s, "g1"), g, normGroup)
	if n := mustBindFailures(t, s, "c-3", at(0)); n != 2 {
		t.Errorf("BindFailures after reopening: %d, want 2", n)
	}
	same(t, "AuditLog after reopening", mustAuditLog(t, s, time.Time{}), []storage.AuditEntry{a1, a2}, auditNorm)
	a3 := audit(5, "query again")
	mustAudit(t, s, a3)
	mustAddBindFailure(t, s, "c-3", at(2))
	if _, err := s.Unbind(ctx, "c-1", storage.Answer{}); err != nil {
		t.Fatalf("Unbind after reopening: %v", err)
	}
	renamed := sampleEnterprise("E1")
	renamed.Name = "改名后有限公司"
	mustPutEnterprises(t, s, []storage.Enterprise{renamed})
	closeS()

	// Third life.
	s, closeS = open(dir)
	defer closeS()
	same(t, "AuditLog after the third open", mustAuditLog(t, s, time.Time{}), []storage.AuditEntry{a1, a2, a3}, auditNorm)
	if n := mustBindFailures(t, s, "c-3", at(0)); n != 3 {
		t.Errorf("BindFailures after the third open: %d, want 3", n)
	}
	same(t, "E1 after the third open", mustEnterprise(t, s, "E1"), renamed, normEnterprise)
	same(t, "Contact(c-1) after the third open", mustContact(t, s, "c-1"),
		storage.Contact{ID: "c-1", Name: "张联络", Account: "bot-1"}, normContact)
}

func testReopenLedger(t *testing.T, open func(dir string) (LedgerStore, func())) {
	dir := t.TempDir()
	s, closeS := open(dir)
	e1oct, e1nov, e2sep := sampleSubmission("E1", "2026-10", 1), sampleSubmission("E1", "2026-11", 1), sampleSubmission("E2", "2026-09", 1)
	for _, sub := range []storage.Submission{e1oct, e1nov, e2sep} {
		mustSubmit(t, s, sub)
	}
	closeS()

	s, closeS = open(dir)
	same(t, "LatestHeads(2026-11) after reopening", mustLatestHeads(t, s, "2026-11"),
		map[string]storage.Head{"E1": e1nov.Head(), "E2": e2sep.Head()}, normHeads)
	same(t, "LatestHeads(2026-10) after reopening", mustLatestHeads(t, s, "2026-10"),
		map[string]storage.Head{"E1": e1oct.Head(), "E2": e2sep.Head()}, normHeads)
	e1nov2 := sampleSubmission("E1", "2026-11", 2)
	mustSubmit(t, s, e1nov2)
	closeS()

	s, closeS = open(dir)
	defer closeS()
	same(t, "LatestHeads(2026-11) after the third open", mustLatestHeads(t, s, "2026-11"),
		map[string]storage.Head{"E1": e1nov2.Head(), "E2": e2sep.Head()}, normHeads)
}

func testReopenOutbox(t *testing.T, open func(dir string) (OutboxStore, func())) {
	dir := t.TempDir()
	s, closeS := open(dir)
	a, b, c, d := sampleMessage("a", "bot-1", 0), sampleMessage("b", "bot-1", 1), sampleMessage("c", "bot-2", 0), sampleMessage("d", "bot-1", 2)
	u, g := urgentMessage("u", "bot-2", 5), sampleMessage("g", "bot-1", 3)
	mustEnqueue(t, s, a, b, c, u, g)
	mustMarkSent(t, s, "a", at(10), "")
	mustMarkSent(t, s, "b", at(10), "timeout")
	mustMarkFailed(t, s, "g", at(10), "recipient cannot be reached")
	if !mustClaim(t, s, "k1", at(0), d) {
		t.Fatal("first claim refused")
	}
	closeS()

	// Second life: the queue, the failures, the sends and the claims are back, and messages
	// queued now at an instant of before come after those queued before.
	s, closeS = open(dir)
	a.SentAt = at(10)
	b.Attempts, b.Error = 1, "timeout"
	same(t, "Pending(bot-1) after reopening", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{b, d}, normMessages)
	same(t, "Pending(bot-2) after reopening", mustPending(t, s, "bot-2", 10), []storage.OutboxMessage{u, c}, normMessages)
	g.FailedAt, g.Error = at(10), "recipient cannot be reached"
	same(t, "Failed after reopening", mustFailed(t, s, time.Time{}), []storage.OutboxMessage{g}, normMessages)
	same(t, "Sent after reopening", mustSent(t, s, time.Time{}), []storage.OutboxMessage{a}, normMessages)
	if mustClaim(t, s, "k1", at(1), sampleMessage("x", "bot-1", 0)) {
		t.Error("a claim was granted again after reopening")
	}
	e, f := sampleMessage("e", "bot-1", 1), sampleMessage("f", "bot-1", 1)
	if !mustClaim(t, s, "k2", at(1), e) {
		t.Error("a new claim refused after reopening")
	}
	mustEnqueue(t, s, sampleMessage("a", "bot-1", 0), f)
	mustMarkSent(t, s, "b", at(11), "")
	closeS()

	s, closeS = open(dir)
	defer closeS()
	b.SentAt = at(11)
	same(t, "Pending(bot-1) after the third open", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{e, f, d}, normMessages)
	same(t, "Sent after the third open", mustSent(t, s, time.Time{}), []storage.OutboxMessage{a, b}, normMessages)
	for _, k := range []string{"k1", "k2"} {
		if mustClaim(t, s, k, at(2)) {
			t.Errorf("claim %s granted again after the third open", k)
		}
	}
}
