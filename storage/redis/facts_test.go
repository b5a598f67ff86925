package redis

import (
	"testing"

	"innobot/storage/redis/redistest"
	"innobot/storage/storetest"
)

// TestRefreshFactsInBatches runs the facts checks with pages of three submissions, so that a
// refresh reads several pages, each from after the last member of the one before.
func TestRefreshFactsInBatches(t *testing.T) {
	saved := factsBatch
	factsBatch = 3
	t.Cleanup(func() { factsBatch = saved })
	srv := redistest.Start(t)
	client := srv.Client(t)
	storetest.RunFacts(t, func(t *testing.T) storetest.FactsStore { return New(client, srv.Prefix(t)) })
}
