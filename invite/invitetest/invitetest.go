// Package invitetest gives tests an invite key, as a deployment's key file would.
package invitetest

import (
	"testing"

	"innobot/invite"
)

// Key returns a fresh invite key, failing the test if none can be drawn.
func Key(tb testing.TB) invite.Key {
	tb.Helper()
	k, err := invite.NewKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
