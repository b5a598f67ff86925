// Package storetest is the conformance suite of storage.Store, in the manner of testing/fstest
// and golang.org/x/net/nettest: every backend runs it from its own tests, so the bolt and redis
// stores keep one contract and a dialog written against one works on the other. It tests
// behaviour through the interfaces only.
//
// Entry points: Run (storage.Store), RunRegistry, RunLedger, RunOutbox, RunNotes,
// RunIdentities and RunFacts (the Store with storage.Registry, storage.Ledger,
// storage.Outbox, storage.Notes, storage.Identities or storage.FactsRefresher), RunAnswers (the answers writes carry, on a store with
// everything), RunAll (all of them on one store), and RunPersistent (everything survives
// Close). A backend that has everything calls
//
//	storetest.RunAll(t, func(t *testing.T) storetest.FullStore { return open(t) })
//	storetest.RunPersistent(t, func(t *testing.T, dir string) storage.Store { return openIn(t, dir) })
//
// Where storage.go leaves a choice open, the suite checks the reading innobot relies on and
// says so in the test: the later of two enterprises of one ID in PutEnterprises wins, as if
// put one by one; audit entries of one instant come back in the order they were added;
// messages queued at one instant are pending in the order they were queued, and a message
// repeated in one Enqueue keeps its first copy; MarkSent of a message already sent changes
// nothing. Unbind leaves ID, Name and Account (BoundAt cleared, as for a replaced liaison) and
// returns an already unbound contact as it is. Bind failures are asked about only within the
// last day, which is all a store need remember.
//
// Times are compared as instants (time.Time.Equal), not by location or monotonic reading, and
// an empty slice is taken to equal a nil one: a backend that encodes records (JSON, say) cannot
// tell them apart, and nothing in innobot does.
package storetest

import (
	"testing"

	"innobot/storage"
)

// Run checks a Store against the contract of storage.Store in subtests. newStore is called once
// per subtest with that subtest's t and must return a new, empty store; closing it is newStore's
// business (t.Cleanup), since Run cannot know whether Close may be called twice.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	runGroups(t, newStore, []group[storage.Store]{
		{"Enterprise", enterpriseTests},
		{"Contact", contactTests},
		{"Session", sessionTests},
		{"CommitTurn", commitTests},
		{"RoundTrip", roundTripTests},
		{"Redeem", redeemTests},
		{"Concurrent", concurrentTests},
	})
}

// RegistryStore is a Store with the registry (enterprise imports, contacts, groups, bind
// failures, the audit log): what RunRegistry checks.
type RegistryStore interface {
	storage.Store
	storage.Registry
}

// LedgerStore is a Store with the ledger's index of submission heads: what RunLedger checks.
// Submissions go in through Store.CommitTurn, the only way they are made.
type LedgerStore interface {
	storage.Store
	storage.Ledger
}

// OutboxStore is a Store with the outbox and reminder claims: what RunOutbox checks.
type OutboxStore interface {
	storage.Store
	storage.Outbox
}

// FullStore is a store with every interface of package storage, as the bolt and redis
// backends are: what RunAll checks.
type FullStore interface {
	storage.Store
	storage.Registry
	storage.Ledger
	storage.Outbox
	storage.Notes
	storage.Identities
	storage.InviteAdmin
	storage.BindGuard
	storage.FactsRefresher
}

// RunRegistry checks the storage.Registry of a store in subtests, as Run does the Store:
// newStore is called once per subtest and returns a new, empty store it closes itself.
func RunRegistry(t *testing.T, newStore func(t *testing.T) RegistryStore) {
	t.Helper()
	runGroups(t, newStore, []group[RegistryStore]{
		{"PutEnterprises", putEnterprisesTests},
		{"Contacts", contactsTests},
		{"Unbind", unbindTests},
		{"Group", groupTests},
		{"BindFailures", bindFailureTests},
		{"Audit", auditTests},
		{"ContactDetails", contactDetailsTests},
		{"Callers", callersTests},
	})
}

// RunLedger checks the storage.Ledger of a store in subtests, as Run does the Store.
func RunLedger(t *testing.T, newStore func(t *testing.T) LedgerStore) {
	t.Helper()
	runGroups(t, newStore, []group[LedgerStore]{
		{"LatestHeads", latestHeadsTests},
		{"Callers", callersLedgerTests},
	})
}

// RunOutbox checks the storage.Outbox of a store in subtests, as Run does the Store.
func RunOutbox(t *testing.T, newStore func(t *testing.T) OutboxStore) {
	t.Helper()
	runGroups(t, newStore, []group[OutboxStore]{
		{"Enqueue", enqueueTests},
		{"Pending", pendingTests},
		{"MarkSent", markSentTests},
		{"MarkFailed", markFailedTests},
		{"Sent", sentTests},
		{"ClaimReminder", claimTests},
	})
}

// RunAll runs Run, RunRegistry, RunLedger, RunOutbox, RunNotes, RunIdentities, RunGuard,
// RunFacts and RunAnswers on a store that has everything, each as a subtest of its name
// (Store, Registry, Ledger, Outbox, Notes, Identities, Guard, Facts, Answers).
func RunAll(t *testing.T, newStore func(t *testing.T) FullStore) {
	t.Helper()
	t.Run("Store", func(t *testing.T) {
		Run(t, func(t *testing.T) storage.Store { return newStore(t) })
	})
	t.Run("Registry", func(t *testing.T) {
		RunRegistry(t, func(t *testing.T) RegistryStore { return newStore(t) })
	})
	t.Run("Ledger", func(t *testing.T) {
		RunLedger(t, func(t *testing.T) LedgerStore { return newStore(t) })
	})
	t.Run("Outbox", func(t *testing.T) {
		RunOutbox(t, func(t *testing.T) OutboxStore { return newStore(t) })
	})
	t.Run("Answers", func(t *testing.T) { RunAnswers(t, newStore) })
	t.Run("Notes", func(t *testing.T) {
		RunNotes(t, func(t *testing.T) NotesStore { return newStore(t) })
	})
	t.Run("Identities", func(t *testing.T) {
		RunIdentities(t, func(t *testing.T) IdentitiesStore { return newStore(t) })
	})
	t.Run("Guard", func(t *testing.T) {
		RunGuard(t, func(t *testing.T) GuardStore { return newStore(t) })
	})
	t.Run("Facts", func(t *testing.T) {
		RunFacts(t, func(t *testing.T) FactsStore { return newStore(t) })
	})
}

// check is one subtest of a store of type S (storage.Store, RegistryStore, ...).
type check[S any] struct {
	name string
	fn   func(t *testing.T, s S)
}

type subtest = check[storage.Store]

type group[S any] struct {
	name  string
	tests []check[S]
}

// runGroups runs each check on a new store, as a subtest of its group.
func runGroups[S any](t *testing.T, newStore func(t *testing.T) S, groups []group[S]) {
	t.Helper()
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, c := range g.tests {
				t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
			}
		})
	}
}

// RunPersistent checks that what a store acknowledged survives Close: it opens a store on dir,
// writes every kind of record, closes it, opens dir again and reads everything back, then goes
// on writing. open is called several times with the same dir and must not close the store
// itself: RunPersistent closes each store it opens exactly once. A backend without files (a
// server) may take dir as a namespace.
//
// The records of storage.Registry, storage.Ledger and storage.Outbox are checked in the
// subtests ReopenRegistry, ReopenLedger, ReopenOutbox and ReopenIdentities, each skipped (t.Skip, visible with
// -v) when the store open returns does not implement that interface.
func RunPersistent(t *testing.T, open func(t *testing.T, dir string) storage.Store) {
	t.Helper()
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open) })
	t.Run("ReopenRegistry", func(t *testing.T) { testReopenRegistry(t, reopener[RegistryStore](t, open)) })
	t.Run("ReopenLedger", func(t *testing.T) { testReopenLedger(t, reopener[LedgerStore](t, open)) })
	t.Run("ReopenOutbox", func(t *testing.T) { testReopenOutbox(t, reopener[OutboxStore](t, open)) })
	t.Run("ReopenIdentities", func(t *testing.T) { testReopenIdentities(t, reopener[IdentitiesStore](t, open)) })
	t.Run("ReopenFacts", func(t *testing.T) { testReopenFacts(t, reopener[FactsStore](t, open)) })
}
