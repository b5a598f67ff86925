//go:build race

package assistant_test

// raceEnabled is true when the tests run under the race detector, which makes bbolt's
// writes about ten times slower: the longest tests then send fewer messages.
const raceEnabled = true
