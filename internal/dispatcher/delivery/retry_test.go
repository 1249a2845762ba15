package delivery

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/testutil"
)

// failFirst answers the first n attempts of each message with fail, then
// 200.
func failFirst(s **server, n int, fail func(w http.ResponseWriter) int) func(*request, http.ResponseWriter) int {
	return func(r *request, w http.ResponseWriter) int {
		if (*s).triesOf(r.id) <= n {
			return fail(w)
		}
		return http.StatusOK
	}
}

func status(code int) func(http.ResponseWriter) int {
	return func(http.ResponseWriter) int { return code }
}

// hangUp closes the connection without an answer: a transport error.
func hangUp(w http.ResponseWriter) int {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err == nil {
		_ = conn.Close()
	}
	return 0
}

// TestRetries: retryable failures are retried and the message delivered;
// after Attempts failures, or at the first permanent one, it is
// dead-lettered.
func TestRetries(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		failures  int
		fail      func(http.ResponseWriter) int
		timeout   time.Duration
		wantTries int
		wantDLQ   string // the wake-dlq-error header; "" = delivered
	}{
		{"500 twice then 200", 2, status(500), 0, 3, ""},
		{"503 once then 200", 1, status(503), 0, 2, ""},
		{"408 then 200", 1, status(408), 0, 2, ""},
		{"429 then 200", 1, status(429), 0, 2, ""},
		{"hang-up then 200", 1, hangUp, 0, 2, ""},
		{"timeout then 200", 1, func(http.ResponseWriter) int { time.Sleep(500 * time.Millisecond); return 200 } /* a slow function, not a wait */, 200 * time.Millisecond, 2, ""},
		{"500 three times: dead letter", 3, status(500), 0, 3, "HTTP 500 after 3 attempts"},
		{"404: permanent, dead letter at once", 1, status(404), 0, 1, "HTTP 404, not retried"},
		{"400: permanent", 1, status(400), 0, 1, "HTTP 400, not retried"},
		{"redirect: permanent", 1, func(w http.ResponseWriter) int { w.Header().Set("Location", "/x"); return 302 }, 0, 1, "HTTP 302, not retried"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addrs := cluster(t, kfake.SeedTopics(3, "t"), kfake.SeedTopics(1, "dlq"))
			cl := client(t, addrs)
			rec := produce(t, cl, &kgo.Record{Key: []byte("k"), Value: []byte("v"), Headers: []kgo.RecordHeader{hdr("h", "1")}})[0]
			var srv *server
			srv = newServer(t, failFirst(&srv, tc.failures, tc.fail))
			cfg := config(t, addrs, srv.URL)
			cfg.DeadLetterTopic = "dlq"
			if tc.timeout > 0 {
				cfg.Timeout = tc.timeout
			}
			c, _ := run(t, cfg)
			waitCommittedToEnd(t, cl)
			s := c.Status()
			if got := srv.triesOf(eventID(rec)); got != tc.wantTries {
				t.Errorf("%d attempts, want %d", got, tc.wantTries)
			}
			if s.Failed != int64(tc.failures) {
				t.Errorf("Status.Failed %d, want %d", s.Failed, tc.failures)
			}
			if tc.wantDLQ == "" {
				if s.Delivered != 1 || s.DeadLettered != 0 || len(srv.delivered()) != 1 {
					t.Errorf("delivered %d, dead-lettered %d; want delivered once", s.Delivered, s.DeadLettered)
				}
				return
			}
			if s.DeadLettered != 1 || s.Delivered != 0 {
				t.Fatalf("delivered %d, dead-lettered %d; want dead-lettered", s.Delivered, s.DeadLettered)
			}
			dl := consume(t, addrs, "dlq", 1)[0]
			checkDeadLetter(t, dl, rec, tc.wantDLQ, tc.wantTries)
		})
	}
}

func checkDeadLetter(t *testing.T, dl, orig *kgo.Record, reason string, attempts int) {
	t.Helper()
	if string(dl.Key) != string(orig.Key) || string(dl.Value) != string(orig.Value) {
		t.Errorf("dead letter %q=%q, want %q=%q", dl.Key, dl.Value, orig.Key, orig.Value)
	}
	for _, h := range orig.Headers {
		if header(dl, h.Key) != string(h.Value) {
			t.Errorf("dead letter lost header %s", h.Key)
		}
	}
	for k, v := range map[string]string{
		HeaderDLQTopic: orig.Topic, HeaderDLQPartition: fmt.Sprint(orig.Partition), HeaderDLQOffset: fmt.Sprint(orig.Offset),
		HeaderDLQError: reason, HeaderDLQAttempts: fmt.Sprint(attempts),
	} {
		if got := header(dl, k); got != v {
			t.Errorf("dead letter header %s: %q, want %q", k, got, v)
		}
	}
}

// TestRetryAfter: the wait before the next attempt is the server's
// Retry-After, capped at MaxBackoff; without one, it is the backoff.
func TestRetryAfter(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name       string
		retryAfter string
		code       int
		wait       time.Duration // the wait expected: not over before, over after
		jitter     time.Duration // the wait may be up to this much shorter
	}{
		{"429 with Retry-After", "7", 429, 7 * time.Second, 0},
		{"503 with Retry-After over MaxBackoff", "3600", 503, 30 * time.Second, 0},
		{"500 without: backoff with jitter", "", 500, 2 * time.Second, time.Second},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			addrs := cluster(t)
			cl := client(t, addrs)
			rec := produce(t, cl, &kgo.Record{Value: []byte("v")})[0]
			var srv *server
			srv = newServer(t, failFirst(&srv, 1, func(w http.ResponseWriter) int {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				return tc.code
			}))
			clk := clocktesting.NewFakeClock(time.Now())
			cfg := config(t, addrs, srv.URL)
			cfg.Clock, cfg.MinBackoff, cfg.MaxBackoff = clk, 2*time.Second, 30*time.Second
			run(t, cfg)
			testutil.Eventually(t, waitFor, "the consumer waits to retry", clk.HasWaiters)
			clk.Step(tc.wait - tc.jitter - time.Millisecond)
			if !clk.HasWaiters() || srv.triesOf(eventID(rec)) != 1 {
				t.Fatalf("retried before %s", tc.wait-tc.jitter)
			}
			clk.Step(tc.jitter + time.Millisecond)
			testutil.Eventually(t, waitFor, "retried and delivered", func() bool { return len(srv.delivered()) == 1 })
		})
	}
}

// TestDeadLetter: a message the function always fails goes to the
// dead-letter topic after Attempts; the others are delivered (ordered:
// the poison message's partition after it), and the commit covers all.
func TestDeadLetter(t *testing.T) {
	t.Parallel()
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			addrs := cluster(t, kfake.SeedTopics(1, "t"), kfake.SeedTopics(1, "dlq"))
			cl := client(t, addrs)
			recs := keyed(10)
			recs[3].Key = []byte("poison")
			produce(t, cl, recs...)
			var mu sync.Mutex
			var order []string // ids in the order the server saw them
			srv := newServer(t, func(r *request, w http.ResponseWriter) int {
				mu.Lock()
				order = append(order, r.id)
				mu.Unlock()
				if r.header.Get("Ce-Partitionkey") == "poison" {
					return 500
				}
				return 200
			})
			cfg := config(t, addrs, srv.URL)
			cfg.Ordered, cfg.DeadLetterTopic, cfg.Attempts = ordered, "dlq", 3
			c, _ := run(t, cfg)
			waitCommittedToEnd(t, cl)
			s := c.Status()
			if s.Delivered != 9 || s.DeadLettered != 1 || s.Failed != 3 || s.DeliveryError != "" {
				t.Errorf("status %+v; want 9 delivered, 1 dead-lettered, 3 failed attempts, no error", s)
			}
			checkDeadLetter(t, consume(t, addrs, "dlq", 1)[0], recs[3], "HTTP 500 after 3 attempts", 3)
			if !ordered {
				return
			}
			mu.Lock()
			defer mu.Unlock()
			poison := eventID(recs[3])
			var want []string
			for i, r := range recs {
				want = append(want, eventID(r))
				if i == 3 {
					want = append(want, poison, poison)
				}
			}
			if strings.Join(order, " ") != strings.Join(want, " ") {
				t.Errorf("server saw\n%v\nwant\n%v", order, want)
			}
		})
	}
}

// TestNoDeadLetter: without a dead-letter topic a failing message is
// retried until it is delivered, the commit stays below it and Status
// says why; once the function recovers it is delivered and committed.
func TestNoDeadLetter(t *testing.T) {
	t.Parallel()
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			addrs := cluster(t, kfake.SeedTopics(1, "t"))
			cl := client(t, addrs)
			recs := produce(t, cl, keyed(10)...)
			poison := eventID(recs[4])
			var mu sync.Mutex
			broken := true
			srv := newServer(t, func(r *request, w http.ResponseWriter) int {
				mu.Lock()
				defer mu.Unlock()
				if broken && r.id == poison {
					return 500
				}
				return 200
			})
			cfg := config(t, addrs, srv.URL)
			cfg.Ordered, cfg.Attempts = ordered, 2
			c, _ := run(t, cfg)
			wantDelivered := 9
			if ordered {
				wantDelivered = 4
			}
			testutil.Eventually(t, waitFor, "the others delivered, the failure shown", statusIs(c, "failing", func(s Status) bool {
				return s.Delivered == int64(wantDelivered) && s.Failed > 3 &&
					strings.HasPrefix(s.DeliveryError, "HTTP 500 for offset 4 of t/0") && !s.FailingSince.IsZero()
			}))
			testutil.Eventually(t, waitFor, "committed up to the failing message", func() bool { return committed(t, cl)[0] == 4 })
			testutil.Eventually(t, waitFor, "backlog shown", statusIs(c, "backlog", func(s Status) bool { return s.Backlog == 6 }))
			if got := c.Status(); len(got.Partitions) != 1 || got.Partitions[0].Committed != 4 || got.Partitions[0].End != 10 {
				t.Errorf("partitions %+v; want committed 4, end 10", got.Partitions)
			}
			// Hold still a few retries: the commit never passes it.
			tries := srv.triesOf(poison)
			testutil.Eventually(t, waitFor, "retried more", func() bool { return srv.triesOf(poison) >= tries+3 })
			if got := committed(t, cl)[0]; got != 4 {
				t.Fatalf("committed %d past the failing message at 4", got)
			}
			mu.Lock()
			broken = false
			mu.Unlock()
			waitCommittedToEnd(t, cl)
			testutil.Eventually(t, waitFor, "recovered", statusIs(c, "recovered", func(s Status) bool {
				return s.Delivered == 10 && s.DeliveryError == "" && s.FailingSince.IsZero() && s.Backlog == 0
			}))
		})
	}
}

// TestDeadLetterTopicMissing: a dead letter that cannot be produced is
// retried, not dropped, the commit stays below it, and Status says why.
func TestDeadLetterTopicMissing(t *testing.T) {
	t.Parallel()
	addrs := cluster(t, kfake.SeedTopics(1, "t"))
	cl := client(t, addrs)
	recs := produce(t, cl, keyed(3)...)
	srv := newServer(t, func(r *request, w http.ResponseWriter) int {
		if r.id == eventID(recs[1]) {
			return 404
		}
		return 200
	})
	cfg := config(t, addrs, srv.URL)
	cfg.DeadLetterTopic, cfg.Timeout = "dlq", time.Second
	cfg.ClientOpts = append(cfg.ClientOpts, kgo.UnknownTopicRetries(1))
	c, _ := run(t, cfg)
	testutil.Eventually(t, waitFor, "the dead letter fails", statusIs(c, "dead letter failing", func(s Status) bool {
		return strings.Contains(s.DeliveryError, "producing the dead letter of offset 1 of t/0 to dlq") && s.Delivered == 2
	}))
	if got := committed(t, cl)[0]; got > 1 {
		t.Fatalf("committed %d past the message whose dead letter failed", got)
	}
	ctx, cancel := context.WithTimeout(context.Background(), waitFor)
	defer cancel()
	if _, err := kadm.NewClient(cl).CreateTopic(ctx, 1, 1, nil, "dlq"); err != nil {
		t.Fatal(err)
	}
	waitCommittedToEnd(t, cl)
	checkDeadLetter(t, consume(t, addrs, "dlq", 1)[0], recs[1], "HTTP 404, not retried", 1)
	if s := c.Status(); s.DeadLettered != 1 || s.DeliveryError != "" {
		t.Errorf("status %+v", s)
	}
}
