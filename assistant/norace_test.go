//go:build !race

package assistant_test

// raceEnabled is true when the tests run under the race detector (race_test.go).
const raceEnabled = false
