package bolt

import (
	"path/filepath"
	"testing"

	"innobot/storage/storetest"
)

// TestRefreshFactsInBatches runs the facts checks with batches of three submissions, so that
// a refresh spans several transactions, each resuming after the last key of the one before.
func TestRefreshFactsInBatches(t *testing.T) {
	saved := factsBatch
	factsBatch = 3
	t.Cleanup(func() { factsBatch = saved })
	storetest.RunFacts(t, func(t *testing.T) storetest.FactsStore {
		s, err := Open(filepath.Join(t.TempDir(), "innobot.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	})
}
