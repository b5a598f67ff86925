// Package storetest is the conformance suite of storage.Store, in the manner of testing/fstest
// and golang.org/x/net/nettest: every backend runs it from its own tests, so the bolt and redis
// stores keep one contract and a dialog written against one works on the other. It tests
// behaviour through the interface only.
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
	groups := []struct {
		name  string
		tests []subtest
	}{
		{"Enterprise", enterpriseTests},
		{"Contact", contactTests},
		{"Session", sessionTests},
		{"CommitTurn", commitTests},
		{"RoundTrip", roundTripTests},
		{"Redeem", redeemTests},
		{"Concurrent", concurrentTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, st := range g.tests {
				t.Run(st.name, func(t *testing.T) { st.fn(t, newStore(t)) })
			}
		})
	}
}

type subtest struct {
	name string
	fn   func(t *testing.T, s storage.Store)
}

// RunPersistent checks that what a store acknowledged survives Close: it opens a store on dir,
// writes every kind of record, closes it, opens dir again and reads everything back, then goes
// on writing. open is called several times with the same dir and must not close the store
// itself: RunPersistent closes each store it opens exactly once. A backend without files (a
// server) may take dir as a namespace.
func RunPersistent(t *testing.T, open func(t *testing.T, dir string) storage.Store) {
	t.Helper()
	t.Run("Reopen", func(t *testing.T) { testReopen(t, open) })
}
