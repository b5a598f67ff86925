package storetest

import (
	"slices"
	"testing"
	"time"

	"innobot/storage"
)

// DumpStore is a store with every interface that can also be copied whole: what RunDump
// checks. It is an alias, so newStore may be written with the interface spelled out.
type DumpStore = interface {
	storage.Backend
	storage.Dumper
}

// RunDump checks storage.Dumper: a store filled through its normal methods is exported and
// imported into a new store, which then reads back every kind of record as the first one does
// and goes on from where it was (versions, used codes, claims, handled ids); Import into a
// store that holds anything is storage.ErrNotEmpty. newStore is called for each store and
// returns a new, empty store it closes itself, as for Run.
func RunDump(t *testing.T, newStore func(t *testing.T) DumpStore) {
	t.Helper()
	t.Run("RoundTrip", func(t *testing.T) { testDumpRoundTrip(t, newStore) })
	t.Run("NotEmpty", func(t *testing.T) { testDumpNotEmpty(t, newStore) })
}

// fillForDump writes one or more records of every kind through the store's own methods.
func fillForDump(t *testing.T, s DumpStore) {
	t.Helper()
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	e1 := sampleEnterprise("E1")
	e1.Baseline, e1.NewlyAbove = &storage.Baseline{HasRD: true}, true
	mustPutEnterprise(t, s, e1)
	mustPutEnterprise(t, s, sampleEnterprise("E2"))
	mustPutInvite(t, s, liaisonInvite("h-used", "E1", at(0)))
	mustPutInvite(t, s, liaisonInvite("h-free", "E2", at(0)))
	mustPutInvite(t, s, liaisonInvite("h-revoked", "E2", at(0)))
	_, err := s.RevokeInvites(ctx, []string{"h-revoked"}, at(1))
	must("RevokeInvites", err)
	must("AddWrongCode", s.AddWrongCode(ctx, "c-stranger", at(2)))
	must("LockBinding", s.LockBinding(ctx, "c-stranger", at(1442)))
	mustRedeem(t, s, "h-used", "c-1", at(1))
	_, err = s.SetContactDetails(ctx, "c-1", "张三", "13912345678", storage.Answer{})
	must("SetContactDetails", err)
	must("PutMonthlyNote", s.PutMonthlyNote(ctx, sampleNote("2026-11", "盐湖区"), storage.Answer{}))
	mustPutIdentities(t, s, sampleIdentity("bot-1", "c-1"), sampleIdentity("bot-2", "wxg-1"))
	must("PutGroup", s.PutGroup(ctx, sampleGroup("g-1", "盐湖区"), storage.Answer{}))
	must("AddBindFailure", s.AddBindFailure(ctx, "c-stranger", at(2), storage.Answer{}))
	must("Audit", s.Audit(ctx, storage.AuditEntry{At: at(2), Contact: "c-1", Name: "name of c-1", Role: storage.RoleLiaison, Action: "bind", Detail: "E1"}))

	// Two versions of a submission, then a draft of the next period.
	v1, v2 := sampleSubmission("E1", "2026-10", 1), sampleSubmission("E1", "2026-10", 2)
	tr := turn("m1", "c-1", 0)
	tr.Submission = &v1
	mustCommit(t, s, tr)
	tr = turn("m2", "c-1", 1)
	tr.Submission = &v2
	mustCommit(t, s, tr)
	draft := sampleDraft("E1", "2026-11", "c-1")
	tr = turn("m3", "c-1", 2)
	tr.Draft = &draft
	mustCommit(t, s, tr)
	must("Answer", s.Answer(ctx, storage.Answer{MessageID: "q-1", At: at(6)}))

	// One message sent, one pending after a failed attempt, one queued by a reminder claim.
	mustEnqueue(t, s, sampleMessage("o-1", "bot-1", 0), sampleMessage("o-2", "bot-1", 1))
	mustMarkSent(t, s, "o-1", at(7), "")
	mustMarkSent(t, s, "o-2", at(7), "timeout")
	mustEnqueue(t, s, urgentMessage("o-4", "bot-1", 7), sampleMessage("o-5", "bot-1", 7))
	mustMarkFailed(t, s, "o-5", at(8), "recipient cannot be reached")
	if !mustClaim(t, s, "monthly:2026-12-05:3d", at(8), sampleMessage("o-3", "bot-1", 8)) {
		t.Fatal("ClaimReminder refused on a new store")
	}
}

// dumpView is what the normal methods read of the records fillForDump wrote.
type dumpView struct {
	Enterprises  []storage.Enterprise
	Contacts     []storage.Contact
	Groups       []storage.Group
	Session      storage.Session
	Draft        *storage.Draft
	Submissions  []storage.Submission
	Heads        map[string]storage.Head
	Handled      []bool // m1, m2, m3, q-1, never
	BindFailures int
	WrongCodes   int
	LockedUntil  time.Time
	Invites      []storage.Invite
	Audit        []storage.AuditEntry
	Pending      []storage.OutboxMessage
	Sent         []storage.OutboxMessage
	Failed       []storage.OutboxMessage
	Notes        []storage.MonthlyNote
	Identities   [][]storage.Identity // of bot-1, bot-2
}

func viewForDump(t *testing.T, s DumpStore) dumpView {
	t.Helper()
	ctx := t.Context()
	must := func(what string, err error) {
		t.Helper()
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	var v dumpView
	var err error
	v.Enterprises, err = s.Enterprises(ctx)
	must("Enterprises", err)
	v.Contacts = mustContacts(t, s)
	v.Groups, err = s.Groups(ctx)
	must("Groups", err)
	v.Session = mustSession(t, s, "c-1")
	v.Draft = draftOrNil(t, s, "E1", "2026-11")
	v.Submissions = mustSubmissions(t, s, "E1")
	v.Heads = mustLatestHeads(t, s, "2026-12")
	for _, id := range []string{"m1", "m2", "m3", "q-1", "never"} {
		v.Handled = append(v.Handled, mustHandled(t, s, id))
	}
	v.BindFailures, err = s.BindFailures(ctx, "c-stranger", at(0))
	must("BindFailures", err)
	v.WrongCodes, err = s.WrongCodes(ctx, at(0))
	must("WrongCodes", err)
	v.LockedUntil, err = s.BindingLocked(ctx, "c-stranger")
	must("BindingLocked", err)
	v.Invites, err = s.Invites(ctx)
	must("Invites", err)
	v.Audit, err = s.AuditLog(ctx, at(0))
	must("AuditLog", err)
	v.Pending = mustPending(t, s, "bot-1", 10)
	v.Sent = mustSent(t, s, at(0))
	v.Failed = mustFailed(t, s, at(0))
	v.Notes = mustNotes(t, s, "2026-11")
	v.Identities = [][]storage.Identity{mustIdentities(t, s, "bot-1"), mustIdentities(t, s, "bot-2")}
	return v
}

func normView(v dumpView) dumpView {
	v.Enterprises = normAll(v.Enterprises, normEnterprise)
	v.Contacts = normContacts(v.Contacts)
	v.Groups = normAll(v.Groups, normGroup)
	v.Session = normSession(v.Session)
	if v.Draft != nil {
		d := normDraft(*v.Draft)
		v.Draft = &d
	}
	v.Submissions = normSubmissions(v.Submissions)
	v.Heads = normHeads(v.Heads)
	v.Audit = normAll(v.Audit, normAudit)
	v.LockedUntil = normTime(v.LockedUntil).Truncate(time.Microsecond) // Redis keeps microseconds
	v.Invites = normAll(v.Invites, normInvite)
	v.Pending = normMessages(v.Pending)
	v.Sent = normMessages(v.Sent)
	v.Failed = normMessages(v.Failed)
	v.Notes = normAll(v.Notes, normNote)
	v.Identities = normAll(v.Identities, normIdentities)
	return v
}

func testDumpRoundTrip(t *testing.T, newStore func(t *testing.T) DumpStore) {
	ctx := t.Context()
	src := newStore(t)
	fillForDump(t, src)
	want := viewForDump(t, src)

	d, err := src.Export(ctx)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	wantCounts := map[string]int{
		"enterprises": 2, "enterprises with a liaison": 1, "contacts": 1,
		"contacts with a role": 1, "invites": 3, "groups": 1, "sessions": 1,
		"drafts": 1, "submissions": 2, "audit entries": 1, "outbox pending": 3,
		"outbox sent": 1, "outbox failed": 1, "reminder claims": 1, "handled message ids": 4,
		"bind failures": 1, "monthly notes": 1, "identities": 2,
		"wrong codes": 1, "bind locks": 1,
	}
	same(t, "Export().Counts()", countMap(d), wantCounts, ident)

	dst := newStore(t)
	// Reads before Import, which a backend may cache: Import must not leave them behind.
	if all, err := dst.Enterprises(ctx); err != nil || len(all) != 0 {
		t.Fatalf("Enterprises of a new store: %v, %v", all, err)
	}
	if _, err := dst.Contact(ctx, "c-1"); err == nil {
		t.Fatal("Contact(c-1) of a new store: no error")
	}
	if d := draftOrNil(t, dst, "E1", "2026-11"); d != nil {
		t.Fatalf("Draft of a new store: %+v", *d)
	}
	if err := dst.Import(ctx, d); err != nil {
		t.Fatalf("Import: %v", err)
	}
	same(t, "records read after Import", viewForDump(t, dst), want, normView)
	back, err := dst.Export(ctx)
	if err != nil {
		t.Fatalf("Export after Import: %v", err)
	}
	same(t, "Export().Counts() after Import", countMap(back), wantCounts, ident)

	// The imported store goes on from where the exported one was.
	stale := turn("m4", "c-1", 2)
	if err := dst.CommitTurn(ctx, stale); err == nil {
		t.Error("a turn read at version 2 was accepted after Import: the session version was lost")
	}
	again := sampleSubmission("E1", "2026-10", 2)
	tr := turn("m4", "c-1", 3)
	tr.Submission = &again
	wantErr(t, "CommitTurn of submission version 2 after Import", dst.CommitTurn(ctx, tr), storage.ErrConflict)
	next := sampleSubmission("E1", "2026-10", 3)
	tr.Submission = &next
	mustCommit(t, dst, tr)
	for _, id := range []string{"m1", "q-1"} {
		tr := turn(id, "c-1", 0)
		if err := dst.CommitTurn(ctx, tr); err != nil {
			t.Errorf("CommitTurn of handled message %s after Import: %v", id, err)
		}
	}
	if s := mustSession(t, dst, "c-1"); s.Version != 4 {
		t.Errorf("session version %d after one more turn, want 4 (a handled message was handled again?)", s.Version)
	}
	if mustClaim(t, dst, "monthly:2026-12-05:3d", at(9)) {
		t.Error("a reminder claimed before Import was claimed again")
	}
	_, err = dst.Redeem(ctx, "h-used", storage.Contact{ID: "c-2"}, at(9), nil)
	wantErr(t, "Redeem of a used code after Import", err, storage.ErrInviteUsed)
	mustRedeem(t, dst, "h-free", "c-2", at(9))
	if e := mustEnterprise(t, dst, "E2"); e.LiaisonID != "c-2" {
		t.Errorf("E2's liaison %q after redeeming the free code, want c-2", e.LiaisonID)
	}
	mustMarkSent(t, dst, "o-2", at(10), "")
	mustMarkFailed(t, dst, "o-4", at(10), "recipient cannot be reached")
	if ids := messageIDs(mustPending(t, dst, "bot-1", 10)); !slices.Equal(ids, []string{"o-3"}) {
		t.Errorf("pending after sending o-2 and giving o-4 up: %v, want [o-3]", ids)
	}
	if ids := messageIDs(mustFailed(t, dst, time.Time{})); !slices.Equal(ids, []string{"o-5", "o-4"}) {
		t.Errorf("given up after Import: %v, want [o-5 o-4]", ids)
	}
}

// countMap is a Dump's Counts by kind.
func countMap(d storage.Dump) map[string]int {
	m := map[string]int{}
	for _, c := range d.Counts() {
		m[c.Kind] = c.N
	}
	return m
}

func ident[T any](v T) T { return v }

func messageIDs(ms []storage.OutboxMessage) []string {
	var ids []string
	for _, m := range ms {
		ids = append(ids, m.ID)
	}
	return ids
}

func testDumpNotEmpty(t *testing.T, newStore func(t *testing.T) DumpStore) {
	ctx := t.Context()
	src := newStore(t)
	fillForDump(t, src)
	d, err := src.Export(ctx)
	if err != nil {
		t.Fatalf("Export: %v", err)
	}
	wantErr(t, "Import into the store exported", src.Import(ctx, d), storage.ErrNotEmpty)
	after, err := src.Export(ctx)
	if err != nil {
		t.Fatalf("Export after a refused Import: %v", err)
	}
	same(t, "Counts after a refused Import", countMap(after), countMap(d), ident)

	// One record of any kind makes a store not empty.
	for _, c := range []struct {
		what string
		fill func(s DumpStore) error
	}{
		{"an enterprise", func(s DumpStore) error { return s.PutEnterprise(ctx, sampleEnterprise("E9")) }},
		{"a handled id", func(s DumpStore) error { return s.Answer(ctx, storage.Answer{MessageID: "q-9", At: at(0)}) }},
		{"a message", func(s DumpStore) error {
			return s.Enqueue(ctx, []storage.OutboxMessage{sampleMessage("o-9", "bot-1", 0)})
		}},
	} {
		s := newStore(t)
		if err := c.fill(s); err != nil {
			t.Fatalf("%s: %v", c.what, err)
		}
		wantErr(t, "Import into a store with "+c.what, s.Import(ctx, d), storage.ErrNotEmpty)
	}
	// An empty Dump into an empty store is no error.
	if err := newStore(t).Import(ctx, storage.Dump{}); err != nil {
		t.Errorf("Import of an empty Dump: %v", err)
	}
}
