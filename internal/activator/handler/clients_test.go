package handler_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/testutil"
)

// promptly is how soon a queued request must leave once its client has
// gone; the revisions below time out after 30 s.
const promptly = 2 * time.Second

// statsConcurrency returns the concurrency the stats reporter would report
// for key over the next second: it cuts the current period, then reports
// one second later, so the result is exactly the requests it counts now.
func (e *env) statsConcurrency(key types.NamespacedName) float64 {
	now := time.Now()
	e.st.Report(now)
	for _, s := range e.st.Report(now.Add(time.Second)).Stats {
		if s.Namespace == key.Namespace && s.Revision == key.Name {
			return s.AverageConcurrency
		}
	}
	return 0
}

// TestAbandonedQueuedRequestsLeave: requests held for a cold start whose
// clients vanish (closing or resetting the connection) leave the queue
// and stop counting as demand at once, whether or not a request body is
// still unread; not only when the revision's timeout passes.
func TestAbandonedQueuedRequestsLeave(t *testing.T) {
	upload := "POST /up HTTP/1.1\r\nHost: cold.test\r\nContent-Length: 1000000\r\n\r\n" + strings.Repeat("u", 64<<10)
	tests := []struct {
		name  string
		head  string // sent before the client vanishes
		reset bool   // RST instead of FIN
		n     int    // clients; default 20
	}{
		{"the issue's attack: 500 uploads of 64 KiB out of 1 MB, abandoned", upload, false, 500},
		{"bodyless GET, FIN", "GET / HTTP/1.1\r\nHost: cold.test\r\n\r\n", false, 0},
		{"upload, part of the body sent, FIN", "POST /up HTTP/1.1\r\nHost: cold.test\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 1000), false, 0},
		{"upload, part of the body sent, RST", "POST /up HTTP/1.1\r\nHost: cold.test\r\nContent-Length: 100000\r\n\r\n" + strings.Repeat("x", 1000), true, 0},
		{"upload, headers only, FIN", "PUT /up HTTP/1.1\r\nHost: cold.test\r\nContent-Length: 5\r\n\r\n", false, 0},
		{"upload, whole body sent, FIN", "POST /up HTTP/1.1\r\nHost: cold.test\r\nContent-Length: 5\r\n\r\nhello", false, 0},
		{"chunked upload, one chunk, RST", "POST /up HTTP/1.1\r\nHost: cold.test\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n", true, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			key := e.revision("cold", 0, 0, 30)
			n := tc.n
			if n == 0 {
				n = 20
			}
			conns := make([]*net.TCPConn, n)
			for i := range conns {
				c, err := net.Dial("tcp", e.addr)
				if err != nil {
					t.Fatal(err)
				}
				conns[i] = c.(*net.TCPConn)
				if _, err := io.WriteString(c, tc.head); err != nil {
					t.Fatal(err)
				}
			}
			testutil.Eventually(t, 10*time.Second, "all requests queued", func() bool { return e.queued(key) == n })
			if got := e.statsConcurrency(key); got != float64(n) {
				t.Fatalf("stats concurrency while queued = %v, want %d", got, n)
			}
			for _, c := range conns {
				if tc.reset {
					_ = c.SetLinger(0)
				}
				_ = c.Close()
			}
			left := time.Now()
			testutil.Eventually(t, promptly, "abandoned requests leave the queue", func() bool { return e.queued(key) == 0 })
			t.Logf("%d abandoned requests left the queue %v after their clients closed", n, time.Since(left))
			testutil.Eventually(t, promptly, "abandoned requests recorded as 499", func() bool {
				return e.metric("wake_activator_requests_total", "ns", "cold", "499") == float64(n)
			})
			if got := e.statsConcurrency(key); got != 0 {
				t.Errorf("stats concurrency after the clients left = %v, want 0", got)
			}
		})
	}
}

// TestLiveQueuedUploadStays: the watch for vanished clients does not end
// the wait of a client that is still there, with its body unread, and the
// pod gets the whole body once it is up.
func TestLiveQueuedUploadStays(t *testing.T) {
	e := newEnv(t)
	be := okBackend(t)
	key := e.revision("cold", 0, 0, 30)
	res := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", "http://"+e.addr+"/up", strings.NewReader(strings.Repeat("y", 200000)))
		req.Host = "cold.test"
		r, err := http.DefaultClient.Do(req)
		if err != nil {
			res <- 0
			return
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
		res <- r.StatusCode
	}()
	testutil.Eventually(t, 10*time.Second, "upload queued", func() bool { return e.queued(key) == 1 })
	time.Sleep(300 * time.Millisecond) // longer than any watch period: must still be queued
	if q := e.queued(key); q != 1 {
		t.Fatalf("live upload left the queue: queued = %d", q)
	}
	e.th.SetEndpoints(key, []throttler.Endpoint{{Address: hostOf(be), Ready: true}})
	if code := <-res; code != 200 {
		t.Fatalf("live upload answered %d, want 200", code)
	}
}

// TestH2CStreamResetLeavesQueue: an h2c request with an unread body whose
// client cancels it (RST_STREAM on a connection that stays open) leaves
// the queue and the stats at once.
func TestH2CStreamResetLeavesQueue(t *testing.T) {
	e := newEnv(t)
	key := e.revision("cold", 0, 0, 30)
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	const n = 5
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, n)
	for range n {
		pr, pw := io.Pipe()
		go func() { _, _ = pw.Write([]byte(strings.Repeat("z", 1000))) }() // part of a body, never finished
		req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+e.addr+"/up", pr)
		req.Host = "cold.test"
		go func() {
			r, err := (&http.Client{Transport: h2c}).Do(req)
			if err == nil {
				_ = r.Body.Close()
			}
			errc <- err
		}()
	}
	testutil.Eventually(t, 10*time.Second, "h2c uploads queued", func() bool { return e.queued(key) == n })
	// A request on the same connection that is not canceled keeps waiting.
	lctx, lcancel := context.WithCancel(context.Background())
	defer lcancel()
	lreq, _ := http.NewRequestWithContext(lctx, "GET", "http://"+e.addr+"/", nil)
	lreq.Host = "cold.test"
	go func() {
		r, err := (&http.Client{Transport: h2c}).Do(lreq)
		if err == nil {
			_ = r.Body.Close()
		}
	}()
	testutil.Eventually(t, 10*time.Second, "live h2c request queued", func() bool { return e.queued(key) == n+1 })
	cancel()
	for range n {
		if err := <-errc; err == nil {
			t.Fatal("canceled h2c request succeeded")
		}
	}
	testutil.Eventually(t, promptly, "reset streams leave the queue", func() bool { return e.queued(key) == 1 })
	testutil.Eventually(t, promptly, "stats count only the live request", func() bool { return e.statsConcurrency(key) == 1 })
}

// refused returns wake_activator_refused_total for reason, or -1 if it
// has no series.
func (e *env) refused(reason string) float64 {
	e.t.Helper()
	v, ok := testutil.MetricValue(e.t, e.reg, "wake_activator_refused_total", map[string]string{"reason": reason})
	if !ok {
		return -1
	}
	return v
}

// TestActivatorLimits: beyond the activator's caps on requests held across
// all revisions and on open connections, and beyond a revision's queue
// depth, clients get 503 with Retry-After; beyond the cap on requests held
// for one namespace, 429 with Retry-After and a Wake-Limit header naming
// it. Each refusal is counted by reason.
func TestActivatorLimits(t *testing.T) {
	tests := []struct {
		name   string
		opts   envOptions
		depth  int
		reason string
		code   int
		limit  string // the Wake-Limit header
	}{
		{"held requests across revisions", envOptions{maxHeld: 2}, 0, "held_requests", 503, ""},
		{"open connections", envOptions{maxConnections: 2}, 0, "connections", 503, ""},
		{"revision queue depth", envOptions{}, 2, "queue_full", 503, ""},
		{"held requests of one namespace", envOptions{maxHeldPerNamespace: 2}, 0, "namespace_held_requests", 429, "namespace-held-requests"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnvWith(t, tc.opts)
			a := e.revision("a", 0, tc.depth, 30)
			b := e.revision("b", 0, tc.depth, 30)
			// Two uploads held, one per revision (or both on a).
			second := "b.test"
			if tc.depth > 0 {
				second = "a.test"
			}
			for _, host := range []string{"a.test", second} {
				c, err := net.Dial("tcp", e.addr)
				if err != nil {
					t.Fatal(err)
				}
				defer func() { _ = c.Close() }()
				if _, err := io.WriteString(c, "POST / HTTP/1.1\r\nHost: "+host+"\r\nContent-Length: 10\r\n\r\n"); err != nil {
					t.Fatal(err)
				}
			}
			testutil.Eventually(t, 10*time.Second, "two requests held", func() bool { return e.queued(a)+e.queued(b) == 2 })
			code, h, _, err := e.do(context.Background(), "GET", "a.test", "/")
			if err != nil || code != tc.code || h.Get("Retry-After") != "1" || h.Get("Wake-Limit") != tc.limit {
				t.Fatalf("over the limit: %d Retry-After %q Wake-Limit %q err %v; want %d, 1 and %q",
					code, h.Get("Retry-After"), h.Get("Wake-Limit"), err, tc.code, tc.limit)
			}
			if n := e.refused(tc.reason); n != 1 {
				t.Errorf("refused{reason=%q} = %v, want 1", tc.reason, n)
			}
		})
	}
}

// TestHalfClosedQueuedUpload: a client that half-closes its connection
// while its upload waits counts as gone, as net/http treats such a client
// once a body is read: the request leaves the queue and the connection is
// closed with no answer (not an empty 200 from net/http).
func TestHalfClosedQueuedUpload(t *testing.T) {
	e := newEnv(t)
	key := e.revision("cold", 0, 0, 30)
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if _, err := io.WriteString(c, "POST /up HTTP/1.1\r\nHost: cold.test\r\nContent-Length: 100\r\n\r\nabc"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 10*time.Second, "upload queued", func() bool { return e.queued(key) == 1 })
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		t.Fatal(err)
	}
	_ = c.SetReadDeadline(time.Now().Add(promptly))
	b, err := io.ReadAll(c)
	if err != nil || len(b) != 0 {
		t.Fatalf("half-closed client got %q, %v; want the connection closed with no answer", b, err)
	}
	if q := e.queued(key); q != 0 {
		t.Errorf("queued = %d, want 0", q)
	}
}
