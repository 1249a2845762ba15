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
	deadline := time.Now().Add(10 * time.Second)
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		<-tick.C
	}
}
