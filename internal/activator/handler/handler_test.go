package handler_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/testutil"
)

func TestRoutingAnswers(t *testing.T) {
	e := newEnv(t)
	be := okBackend(t)
	ok := e.revision("ok", 0, 0, 0, hostOf(be))
	// ro.test has one rule, GET-only; ok.test has a GET-only rule for /ro
	// and one for "/" that allows every method.
	e.addRoute(routing.RouteInput{Namespace: "ns", Name: "ro", Hosts: []string{"ro.test"},
		Rules: []routing.RuleInput{{
			Match:   routing.MatchInput{Path: "/ro", Methods: []string{"GET"}},
			Traffic: []routing.TrafficInput{{Revision: ok, Percent: 100}},
		}}})
	tests := []struct {
		name, method, host, path string
		code                     int
		allow                    string
	}{
		{"routed", "GET", "ok.test", "/x", 200, ""},
		{"host with port and case", "GET", "OK.test:8080", "/", 200, ""},
		{"unknown host", "GET", "nope.test", "/", 404, ""},
		{"method not allowed", "POST", "ro.test", "/ro/x", 405, "GET, HEAD"},
		{"path not routed", "GET", "ro.test", "/other", 404, ""},
		// A rule matches when both its path and its methods fit: POST is
		// not refused by the more specific GET-only /ro but served by "/".
		{"method refused by a more specific rule falls back to one that allows it", "POST", "ok.test", "/ro/x", 200, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, h, _, err := e.do(context.Background(), tc.method, tc.host, tc.path)
			if err != nil || code != tc.code || h.Get("Allow") != tc.allow {
				t.Fatalf("got %d allow %q err %v, want %d %q", code, h.Get("Allow"), err, tc.code, tc.allow)
			}
		})
	}
	if n := e.metric("wake_activator_requests_total", "", "", "404"); n != 2 {
		t.Errorf("unrouted 404 count = %v, want 2", n)
	}
	if n := e.metric("wake_activator_requests_total", "", "", "405"); n != 1 {
		t.Errorf("unrouted 405 count = %v, want 1", n)
	}
	if n := e.metric("wake_activator_requests_total", "ns", "ok", "200"); n != 3 {
		t.Errorf("ok 200 count = %v, want 3", n)
	}
}

func TestMethodAndPathMisses(t *testing.T) {
	e := newEnv(t)
	be := okBackend(t)
	e.revision("ok", 0, 0, 0, hostOf(be))
	// A table whose only rule is an exact GET path.
	tbl, _ := routing.Build(routing.Input{Routes: []routing.RouteInput{{
		Namespace: "ns", Name: "x", Hosts: []string{"x.test"},
		Rules: []routing.RuleInput{{
			Match:   routing.MatchInput{Type: routing.PathExact, Path: "/only", Methods: []string{"GET"}},
			Traffic: []routing.TrafficInput{{Revision: types.NamespacedName{Namespace: "ns", Name: "ok"}, Percent: 100}},
		}},
	}}})
	e.table.Store(tbl)
	if code, _, _ := e.get("x.test", "/other"); code != 404 {
		t.Errorf("path miss: %d, want 404", code)
	}
	code, h, _, _ := e.do(context.Background(), "DELETE", "x.test", "/only")
	if code != 405 || h.Get("Allow") != "GET, HEAD" {
		t.Errorf("method miss: %d Allow %q", code, h.Get("Allow"))
	}
	if code, _, body := e.get("x.test", "/only"); code != 200 || body != "ok" {
		t.Errorf("hit: %d %q", code, body)
	}
}

func TestQueueFullAnswers503(t *testing.T) {
	e := newEnv(t)
	release := make(chan struct{})
	arrived := make(chan struct{}, 4)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "ok")
	}))
	defer be.Close()
	key := e.revision("slow", 1, 1, 0, hostOf(be))
	results := make(chan int, 2)
	go func() { c, _, _ := e.get("slow.test", "/"); results <- c }()
	<-arrived // first request holds the only slot
	go func() { c, _, _ := e.get("slow.test", "/"); results <- c }()
	testutil.Eventually(t, 10*time.Second, "one queued request", func() bool { return e.queued(key) == 1 })

	code, h, _ := e.get("slow.test", "/")
	if code != 503 || h.Get("Retry-After") != "1" {
		t.Fatalf("queue full: %d Retry-After %q, want 503 1", code, h.Get("Retry-After"))
	}
	close(release)
	for range 2 {
		if c := <-results; c != 200 {
			t.Errorf("held request: %d", c)
		}
	}
}

func TestRevisionUnknownOrRemoved(t *testing.T) {
	e := newEnv(t)
	e.route("ghost", 0) // routed, but the throttler does not know it
	if code, h, _ := e.get("ghost.test", "/"); code != 503 || h.Get("Retry-After") != "1" {
		t.Fatalf("unknown revision: %d Retry-After %q, want 503 1", code, h.Get("Retry-After"))
	}
	key := e.revision("gone", 0, 0, 0) // no pods: requests wait
	type answer struct {
		code int
		h    http.Header
		err  error
	}
	res := make(chan answer, 1)
	go func() {
		c, h, _, err := e.do(context.Background(), "GET", "gone.test", "/")
		res <- answer{c, h, err}
	}()
	testutil.Eventually(t, 10*time.Second, "queued", func() bool { return e.queued(key) == 1 })
	e.th.DeleteRevision(key)
	if a := <-res; a.err != nil || a.code != 503 || a.h.Get("Retry-After") != "1" {
		t.Fatalf("removed while queued: %d Retry-After %q err %v, want 503 1", a.code, a.h.Get("Retry-After"), a.err)
	}
}

func TestTimeouts(t *testing.T) {
	e := newEnv(t)
	hang := make(chan struct{})
	defer close(hang)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	}))
	defer be.Close()
	e.revision("cold", 0, 0, 1)             // never gets a pod
	e.revision("hang", 0, 0, 1, hostOf(be)) // pod never answers
	ok := okBackend(t)
	e.revision("ok", 0, 0, 0, hostOf(ok))
	stop := e.background("ok.test")
	for _, host := range []string{"cold.test", "hang.test"} {
		start := time.Now()
		code, _, _ := e.get(host, "/")
		if code != 504 {
			t.Errorf("%s: %d, want 504", host, code)
		}
		if d := time.Since(start); d < 900*time.Millisecond || d > 5*time.Second {
			t.Errorf("%s: answered after %v, want about 1s", host, d)
		}
	}
	stop()
}

func TestColdStart(t *testing.T) {
	e := newEnv(t)
	be := okBackend(t)
	key := e.revision("zero", 0, 0, 0)
	type result struct {
		code int
		h    http.Header
	}
	res := make(chan result, 1)
	go func() { c, h, _ := e.get("zero.test", "/"); res <- result{c, h} }()
	testutil.Eventually(t, 10*time.Second, "request held", func() bool { return e.queued(key) == 1 })
	testutil.Eventually(t, 10*time.Second, "cold start reported", func() bool { return e.coldStarts() == 1 })
	e.th.SetEndpoints(key, []throttler.Endpoint{{Address: hostOf(be), Ready: true}})
	r := <-res
	if r.code != 200 || r.h.Get(proxy.ColdStartHeader) == "" {
		t.Fatalf("cold request: %d, %s=%q", r.code, proxy.ColdStartHeader, r.h.Get(proxy.ColdStartHeader))
	}
	e.checkWarm("zero.test")
	if n := e.metric("wake_activator_cold_starts_total", "ns", "zero", ""); n != 1 {
		t.Errorf("cold starts metric = %v, want 1", n)
	}
}

func TestClientCancelWhileQueued(t *testing.T) {
	e := newEnv(t)
	key := e.revision("zero", 0, 0, 0)
	e.cancelWhileQueued("zero.test", key, false)
	testutil.Eventually(t, 10*time.Second, "499 recorded", func() bool { return e.metric("wake_activator_requests_total", "ns", "zero", "499") == 1 })
}

func TestBackendFailures(t *testing.T) {
	e := newEnv(t)
	ok := okBackend(t)
	e.revision("ok", 0, 0, 0, hostOf(ok))
	reset := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, _, _ := http.NewResponseController(w).Hijack()
		if err := c.(*net.TCPConn).SetLinger(0); err != nil { // close with a reset
			t.Error(err)
		}
		_ = c.Close()
	}))
	defer reset.Close()
	midway := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "1000")
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		c, _, _ := http.NewResponseController(w).Hijack()
		_ = c.Close() // the pod disappears mid-response
	}))
	defer midway.Close()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	e.revision("reset", 0, 0, 0, hostOf(reset))
	e.revision("midway", 0, 0, 0, hostOf(midway))
	e.revision("dead", 0, 0, 0, dead)
	e.revision("retry", 1, 0, 0, dead, hostOf(ok)) // dial failure retried on the other pod

	stop := e.background("ok.test")
	if code, _, _ := e.get("reset.test", "/"); code != 502 {
		t.Errorf("reset: %d, want 502", code)
	}
	if code, _, _ := e.get("dead.test", "/"); code != 502 {
		t.Errorf("dead pod: %d, want 502", code)
	}
	for range 5 {
		if code, _, body := e.get("retry.test", "/"); code != 200 || body != "ok" {
			t.Errorf("retry on other pod: %d %q", code, body)
		}
	}
	// The response is aborted: the client sees a broken connection, before
	// or after the status line, never a clean short body.
	if code, _, body, err := e.do(context.Background(), "GET", "midway.test", "/"); err == nil {
		t.Errorf("midway: %d %q without error", code, body)
	}
	stop()
}

// raw sends a raw request and returns the status line, or "" if the
// server closed the connection without answering.
func raw(t *testing.T, addr, req string) string {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	if err := c.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, _ = io.WriteString(c, req) // a server that closes early shows as no answer
	b, _ := io.ReadAll(io.LimitReader(c, 1<<16))
	line, _, _ := strings.Cut(string(b), "\r\n")
	return line
}

func TestMalformedAndSlowClients(t *testing.T) {
	e := newEnv(t)
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		_, _ = w.Write(b)
	}))
	defer echo.Close()
	e.revision("echo", 0, 0, 0, hostOf(echo))
	ok := okBackend(t)
	e.revision("ok", 0, 0, 0, hostOf(ok))
	stop := e.background("ok.test")
	defer stop()
	big := strings.Repeat("a", 8<<10)
	tests := []struct {
		name, req, want string
	}{
		{"bad host", "GET / HTTP/1.1\r\nHost: a b\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"no host (HTTP/1.0)", "GET / HTTP/1.0\r\n\r\n", "HTTP/1.0 400 Bad Request"},
		{"oversize headers", "GET / HTTP/1.1\r\nHost: echo.test\r\nX-Big: " + big + "\r\n\r\n", "HTTP/1.1 431 Request Header Fields Too Large"},
		{"invalid chunking", "POST / HTTP/1.1\r\nHost: echo.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nzz\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 400 Bad Request"},
		{"slow headers", "GET / HTTP/1.1\r\nHost: echo.te", ""},
		{"slow body", "POST / HTTP/1.1\r\nHost: echo.test\r\nContent-Length: 100\r\n\r\nonly a few", "HTTP/1.1 408 Request Timeout"},
		{"valid chunking", "POST / HTTP/1.1\r\nHost: echo.test\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "HTTP/1.1 200 OK"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := raw(t, e.addr, tc.req); !strings.HasPrefix(got, tc.want) || (tc.want == "" && got != "") {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
