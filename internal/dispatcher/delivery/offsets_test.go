package delivery

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wakefn/wake/internal/testutil"
)

// TestRestart: a new consumer of the same group continues from what the
// last one committed: nothing is lost, and what was committed is not
// delivered again.
func TestRestart(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	first := produce(t, cl, keyed(30)...)

	// The first consumer delivers only the first 5 of each partition;
	// then it is stopped.
	srvA := newServer(t, func(r *request, w http.ResponseWriter) int {
		_, off := splitSubject(t, r.header.Get("Ce-Subject"))
		if off >= 5 {
			return 503
		}
		return 200
	})
	cfg := config(t, addrs, srvA.URL)
	cfg.Ordered = true
	a, stopA := run(t, cfg)
	testutil.Eventually(t, waitFor, "the first 5 of each partition committed", func() bool {
		c := committed(t, cl)
		return c[0] == 5 && c[1] == 5 && c[2] == 5
	})
	stopA()
	if s := a.Status(); s.Delivered != 15 {
		t.Fatalf("first consumer delivered %d, want 15", s.Delivered)
	}
	second := produce(t, cl, keyed(9)...)

	srvB := newServer(t, nil)
	cfg.URL = srvB.URL
	run(t, cfg)
	waitCommittedToEnd(t, cl)
	got := map[string]bool{}
	for _, id := range srvA.delivered() {
		got[id] = true
	}
	for _, r := range srvB.requests() {
		if got[r.id] {
			t.Errorf("%s delivered again after it was committed", r.id)
		}
		got[r.id] = true
	}
	for _, id := range append(ids(first), ids(second)...) {
		if !got[id] {
			t.Errorf("%s lost", id)
		}
	}
}

// TestStartOffset: a new group starts at the earliest message or at the
// end, as configured.
func TestStartOffset(t *testing.T) {
	t.Parallel()
	for _, earliest := range []bool{true, false} {
		t.Run(fmt.Sprintf("earliest=%v", earliest), func(t *testing.T) {
			t.Parallel()
			addrs := cluster(t)
			cl := client(t, addrs)
			old := produce(t, cl, keyed(6)...)
			srv := newServer(t, nil)
			cfg := config(t, addrs, srv.URL)
			cfg.StartAtEarliest = earliest
			_, stop := run(t, cfg)
			if earliest {
				testutil.Eventually(t, waitFor, "the old messages delivered", func() bool { return len(srv.delivered()) == len(old) })
				return
			}
			// Latest: the consumer pins its start by committing the end
			// offsets at once, so that messages produced while it
			// restarts before the first one arrives are not skipped.
			testutil.Eventually(t, waitFor, "the start pinned", func() bool {
				got := committed(t, cl)
				for p, end := range ends(t, cl) {
					if got[p] != end {
						return false
					}
				}
				return len(got) == 3
			})
			stop()
			fresh := produce(t, cl, keyed(6)...)
			run(t, cfg)
			waitCommittedToEnd(t, cl)
			testutil.Eventually(t, waitFor, "the new messages delivered", func() bool { return len(srv.delivered()) == len(fresh) })
			for _, id := range ids(old) {
				if srv.triesOf(id) > 0 {
					t.Errorf("old message %s delivered to a group starting at the end", id)
				}
			}
		})
	}
}

// TestRebalance: two consumers share a group; one stops mid-stream. Every
// message is delivered (some possibly twice), none is lost.
func TestRebalance(t *testing.T) {
	t.Parallel()
	addrs := cluster(t, kfake.SeedTopics(6, "t"))
	cl := client(t, addrs)
	var mu sync.Mutex
	seen := map[string]int{}
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		mu.Lock()
		seen[r.id]++
		mu.Unlock()
		time.Sleep(time.Millisecond) // keep messages in flight
		return 200
	})
	cfg := config(t, addrs, srv.URL)
	a, stopA := run(t, cfg)
	b, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "both consumers own partitions", func() bool {
		return len(a.Status().Assigned) > 0 && len(b.Status().Assigned) > 0 && len(a.Status().Assigned)+len(b.Status().Assigned) == 6
	})

	// Produce in the background while A is stopped mid-stream.
	var all []*kgo.Record
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 30 {
			recs := keyed(10)
			for _, r := range recs {
				r.Key = []byte(fmt.Sprintf("%d-%s", i, r.Key))
			}
			all = append(all, produce(t, cl, recs...)...)
		}
	}()
	testutil.Eventually(t, waitFor, "A delivers", func() bool { return a.Status().Delivered > 20 })
	stopA()
	<-done
	testutil.Eventually(t, waitFor, "B takes every partition", func() bool { return len(b.Status().Assigned) == 6 })
	waitCommittedToEnd(t, cl)
	mu.Lock()
	defer mu.Unlock()
	dups := 0
	for _, id := range ids(all) {
		switch n := seen[id]; {
		case n == 0:
			t.Errorf("%s lost", id)
		case n > 1:
			dups += n - 1
		}
	}
	t.Logf("%d messages, A delivered %d, B %d, %d duplicates", len(all), a.Status().Delivered, b.Status().Delivered, dups)
	// Duplicates come only from deliveries abandoned in flight: when B
	// joined (A's revoked partitions) and when A stopped.
	if dups > 2*DefaultMaxInFlight {
		t.Errorf("%d duplicates, more than the deliveries in flight at the two rebalances (%d)", dups, 2*DefaultMaxInFlight)
	}
	if s := a.Status(); s.Joined || len(s.Assigned) != 0 {
		t.Errorf("A after Run: joined %v, assigned %v", s.Joined, s.Assigned)
	}
}

// TestReply: a 2xx body is produced to the reply topic with the message's
// key before the message is committed.
func TestReply(t *testing.T) {
	t.Parallel()
	addrs := cluster(t, kfake.SeedTopics(3, "t"), kfake.SeedTopics(1, "replies"))
	cl := client(t, addrs)
	recs := keyed(6)
	recs[5].Key = nil
	produce(t, cl, recs...)
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		if string(r.body) == "v4" {
			return http.StatusNoContent // no body: no reply
		}
		w.Header().Set("Content-Type", "text/plain")
		_, _ = w.Write(append([]byte("re:"), r.body...))
		return 0 // the write answered 200
	})
	cfg := config(t, addrs, srv.URL)
	cfg.ReplyTopic = "replies"
	c, _ := run(t, cfg)
	waitCommittedToEnd(t, cl)
	replies := consume(t, addrs, "replies", 5)
	byValue := map[string]*kgo.Record{}
	for _, r := range replies {
		byValue[string(r.Value)] = r
	}
	for i, r := range recs {
		rep := byValue["re:"+string(r.Value)]
		if i == 4 {
			if rep != nil {
				t.Errorf("a reply to a 204")
			}
			continue
		}
		if rep == nil {
			t.Errorf("no reply to %s", r.Value)
			continue
		}
		if string(rep.Key) != string(r.Key) || header(rep, "content-type") != "text/plain" ||
			header(rep, HeaderSourceOffset) != strconv.FormatInt(r.Offset, 10) || header(rep, HeaderSourceTopic) != "t" {
			t.Errorf("reply %q key %q headers %v; want key %q, offset %d", rep.Value, rep.Key, rep.Headers, r.Key, r.Offset)
		}
	}
	if s := c.Status(); s.Replied != 5 || s.Delivered != 6 {
		t.Errorf("replied %d delivered %d, want 5 and 6", s.Replied, s.Delivered)
	}
}

// TestOnBacklog: OnBacklog is called when messages arrive at an idle
// consumer.
func TestOnBacklog(t *testing.T) {
	t.Parallel()
	addrs := cluster(t)
	cl := client(t, addrs)
	srv := newServer(t, nil)
	cfg := config(t, addrs, srv.URL)
	calls := make(chan struct{}, 100)
	cfg.OnBacklog = func() { calls <- struct{}{} }
	c, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "joined", statusIs(c, "joined", func(s Status) bool { return s.Joined && len(s.Assigned) == 3 }))
	produce(t, cl, keyed(3)...)
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	select {
	case <-calls:
	case <-ctx.Done():
		t.Fatal("OnBacklog not called")
	}
	testutil.Eventually(t, waitFor, "delivered", func() bool { return len(srv.delivered()) == 3 })
}

// TestRebalanceWhileFailing: partitions revoked while their deliveries
// are failing are not committed past them; the new owner delivers them.
func TestRebalanceWhileFailing(t *testing.T) {
	t.Parallel()
	addrs := cluster(t, kfake.SeedTopics(6, "t"))
	cl := client(t, addrs, kgo.RecordPartitioner(kgo.ManualPartitioner()))
	var recs []*kgo.Record
	for i := range 30 {
		recs = append(recs, &kgo.Record{Partition: int32(i % 6), Value: []byte(strconv.Itoa(i))})
	}
	produce(t, cl, recs...)
	var mu sync.Mutex
	broken := true
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		mu.Lock()
		defer mu.Unlock()
		if _, off := splitSubject(t, r.header.Get("Ce-Subject")); broken && off == 2 {
			return 500
		}
		return 200
	})
	cfg := config(t, addrs, srv.URL)
	cfg.Ordered = true
	a, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "A stuck at offset 2 of every partition", statusIs(a, "stuck", func(s Status) bool {
		return s.Delivered == 12 && s.DeliveryError != ""
	}))
	b, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "partitions moved to B", func() bool {
		return len(b.Status().Assigned) > 0 && len(a.Status().Assigned)+len(b.Status().Assigned) == 6
	})
	for p, off := range committed(t, cl) {
		if off > 2 {
			t.Errorf("partition %d committed at %d, past its failing message at 2", p, off)
		}
	}
	mu.Lock()
	broken = false
	mu.Unlock()
	waitCommittedToEnd(t, cl)
	if got, want := srv.delivered(), ids(recs); !slices.Equal(got, want) {
		t.Fatalf("delivered %v, want %v", got, want)
	}
}

// TestStopAbandons: Run returns promptly when its context ends, even with
// deliveries hanging, and commits nothing it did not deliver.
func TestStopAbandons(t *testing.T) {
	t.Parallel()
	addrs := cluster(t, kfake.SeedTopics(1, "t"))
	cl := client(t, addrs)
	produce(t, cl, keyed(5)...)
	release := make(chan struct{})
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		if r.id == "t-0-2" {
			<-release // hangs until the test ends
		}
		return 200
	})
	defer close(release)
	cfg := config(t, addrs, srv.URL)
	cfg.Ordered, cfg.Timeout, cfg.MaxBackoff = true, time.Minute, time.Minute
	c, stop := run(t, cfg)
	testutil.Eventually(t, waitFor, "the first two delivered and committed", func() bool { return committed(t, cl)[0] == 2 })
	start := time.Now()
	stop()
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("Run took %s to return", d)
	}
	if got := committed(t, cl)[0]; got != 2 {
		t.Errorf("committed %d, want 2", got)
	}
	if s := c.Status(); s.Delivered != 2 || s.InFlight != 0 {
		t.Errorf("status %+v", s)
	}
}

// TestGroupStatus: each member of a group sees every partition of the
// consumed topics in Status.Group, whichever member consumes it, with the
// group's committed offsets: the lag of messages nobody delivered yet,
// then none.
func TestGroupStatus(t *testing.T) {
	t.Parallel()
	addrs := cluster(t, kfake.SeedTopics(6, "t"))
	cl := client(t, addrs)
	var open atomic.Bool
	srv := newServer(t, func(*request, http.ResponseWriter) int {
		if open.Load() {
			return 200
		}
		return 503
	})
	cfg := config(t, addrs, srv.URL)
	cfg.MaxBackoff = 20 * time.Millisecond
	a, _ := run(t, cfg)
	b, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "both consumers own partitions", func() bool {
		return len(a.Status().Assigned) > 0 && len(b.Status().Assigned) > 0 && len(a.Status().Assigned)+len(b.Status().Assigned) == 6
	})
	produce(t, cl, keyed(60)...)
	groupLag := func(c *Consumer, want int64) func(context.Context) error {
		return statusIs(c, fmt.Sprintf("6 partitions with a lag of %d in all", want), func(s Status) bool {
			var lag int64
			for _, p := range s.Group {
				lag += p.Lag
			}
			return len(s.Group) == 6 && lag == want
		})
	}
	testutil.Eventually(t, waitFor, "A sees the whole backlog", groupLag(a, 60))
	testutil.Eventually(t, waitFor, "B sees the whole backlog", groupLag(b, 60))
	open.Store(true)
	testutil.Eventually(t, waitFor, "A sees it delivered", groupLag(a, 0))
	testutil.Eventually(t, waitFor, "B sees it delivered", groupLag(b, 0))
	for _, p := range a.Status().Group {
		if p.Committed != p.End {
			t.Errorf("partition %d: committed %d, end %d", p.Partition, p.Committed, p.End)
		}
	}
}
