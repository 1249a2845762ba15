package routing

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
)

// generation returns table number g: hosts a.test and b.test both route to
// revision ns/gen-{g}.
func generation(t *testing.T, g int) *Table {
	key := nn("ns", fmt.Sprintf("gen-%d", g))
	tbl, problems := Build(Input{
		Revisions: []RevisionInput{{Key: key}},
		Routes: []RouteInput{{
			Namespace: "ns", Name: "r", Hosts: []string{"a.test", "b.test"},
			Rules: []RuleInput{{Match: MatchInput{Path: "/"}, Traffic: []TrafficInput{{Revision: key, Percent: 100}}}},
		}},
	})
	if len(problems) > 0 {
		t.Fatalf("generation %d: %v", g, problems)
	}
	return tbl
}

// TestHolderConcurrentSwaps: readers that look up while tables are swapped
// see one whole table per Load (both hosts of one generation), and never
// an older table than one they saw before. Run it with -race: a holder that
// is not an atomic publication is reported as a data race.
func TestHolderConcurrentSwaps(t *testing.T) {
	const (
		readers    = 4
		minSwaps   = 200
		minReads   = 2000 // in all; the writer swaps until both are reached
		maxFailure = 1    // errors reported per reader
	)
	var h Holder
	h.Store(generation(t, 0))

	var reads atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	for r := range readers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last, failures := -1, 0
			fail := func(format string, args ...any) {
				failures++
				t.Errorf("reader %d: "+format, append([]any{r}, args...)...)
			}
			for failures < maxFailure {
				select {
				case <-done:
					return
				default:
				}
				tbl := h.Load()
				a, b := tbl.Lookup("a.test", "/x", "GET", nil), tbl.Lookup("b.test", "/y", "GET", nil)
				if a.Kind != Found || b.Kind != Found {
					fail("lookups = %s, %s; want Found", a.Kind, b.Kind)
					continue
				}
				if a.Revision != b.Revision || len(tbl.Revisions()) != 1 || tbl.Revisions()[a.Revision.Key] != a.Revision {
					fail("one Load mixes tables: a.test → %s, b.test → %s, revisions %v", a.Revision.Key, b.Revision.Key, tbl.Revisions())
					continue
				}
				var g int
				if _, err := fmt.Sscanf(a.Revision.Key.Name, "gen-%d", &g); err != nil {
					fail("revision %s: %v", a.Revision.Key, err)
					continue
				}
				if g < last {
					fail("saw generation %d after %d", g, last)
				}
				last = g
				reads.Add(1)
			}
		}()
	}

	for g := 1; g <= minSwaps || reads.Load() < minReads; g++ {
		h.Store(generation(t, g))
		if t.Failed() {
			break
		}
	}
	close(done)
	wg.Wait()
}
