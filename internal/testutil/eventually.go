// Package testutil holds helpers shared by the unit tests.
package testutil

import (
	"testing"
	"time"
)

// Eventually polls cond every millisecond until it holds, failing the test
// with what after 10 s.
func Eventually(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, 10*time.Second, what, cond)
}

// Within polls cond every millisecond until it holds, failing the test with
// what if it does not hold within d.
func Within(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		<-tick.C
	}
}
