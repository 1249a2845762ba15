package delivery

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wakefn/wake/internal/testutil"
)

// TestBackpressure: a partition stuck on a failing message (ordered, no
// dead-letter topic) buffers a bounded number of messages and its
// fetching is paused; the other partitions go on; once the function
// recovers, fetching resumes and everything is delivered.
func TestBackpressure(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := range 300 {
		recs = append(recs, &kgo.Record{Partition: int32(i % 3), Value: []byte(fmt.Sprint(i))})
	}
	produce(t, cl, recs...)
	stuck := eventID(recs[0]) // partition 0, offset 0
	var mu sync.Mutex
	broken := true
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		mu.Lock()
		defer mu.Unlock()
		if broken && r.id == stuck {
			return 500
		}
		return 200
	})
	cfg := config(t, addrs, srv.URL)
	cfg.Ordered, cfg.MaxInFlight = true, 5
	c, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "the other partitions delivered, partition 0 paused", statusIs(c, "stuck", func(s Status) bool {
		return s.Delivered == 200 && len(s.Partitions) == 3 && s.Partitions[0].Paused && s.Partitions[0].Lag == 100
	}))
	// Buffered: at most the partition's buffer (MaxInFlight) and one poll
	// (MaxInFlight) more.
	if s := c.Status(); s.Partitions[0].Buffered > 2*cfg.MaxInFlight || s.Buffered != s.Partitions[0].Buffered {
		t.Fatalf("buffered %d (partition 0: %d), over the bound %d", s.Buffered, s.Partitions[0].Buffered, 2*cfg.MaxInFlight)
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	waitCommittedToEnd(t, cl)
	testutil.Eventually(t, waitFor, "all delivered", statusIs(c, "recovered", func(s Status) bool {
		return s.Delivered == 300 && !s.Partitions[0].Paused && s.Backlog == 0
	}))
}
