package handler_test

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// statusPod answers every request with the raw status line status.
func statusPod(t *testing.T, status string) string {
	t.Helper()
	return statusPodCounting(t, status, nil)
}

// statusPodCounting is statusPod counting the requests in n, if set.
func statusPodCounting(t *testing.T, status string, n *atomic.Int32) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer func() { _ = c.Close() }()
				br := bufio.NewReader(c)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					_, _ = io.Copy(io.Discard, req.Body)
					if n != nil {
						n.Add(1)
					}
					_, _ = io.WriteString(c, "HTTP/1.1 "+status+"\r\nContent-Length: 2\r\n\r\nok")
				}
			}()
		}
	}()
	t.Cleanup(func() { _ = ln.Close() })
	return ln.Addr().String()
}

// panicWriter panics on the first byte of the response body, as a bug on
// the request path would.
type panicWriter struct{ http.ResponseWriter }

func (p panicWriter) Write([]byte) (int, error) { panic("boom") }

// TestInFlightAlwaysReleased: whatever happens on the request path (a pod
// answering an invalid status, a panic while the response is written), the
// request stops counting as in flight: in the stats sent to the autoscaler
// (else its revision never scales to zero), in the throttler (the pod
// slot) and in the in-flight gauge.
func TestInFlightAlwaysReleased(t *testing.T) {
	tests := []struct {
		name   string
		status string
		wrap   func(http.Handler) http.Handler
		code   int // 0: the connection breaks
	}{
		{name: "status 000", status: "000 Zero", code: 502},
		{name: "status 099", status: "099 Low", code: 502},
		{name: "status 600", status: "600 High", code: 502},
		{name: "panic while writing", status: "200 OK", code: 0, wrap: func(h http.Handler) http.Handler {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeHTTP(panicWriter{w}, r) })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			key := e.revision("fn", 1, 10, 10, statusPod(t, tc.status))
			var h http.Handler = e.h
			if tc.wrap != nil {
				h = tc.wrap(h)
			}
			srv := httptest.NewServer(h)
			defer srv.Close()
			srv.Config.ErrorLog = nil
			req, _ := http.NewRequest("GET", srv.URL+"/", nil)
			req.Host = "fn.test"
			code := 0
			if res, err := (&http.Client{Timeout: 5 * time.Second}).Do(req); err == nil {
				code = res.StatusCode
				_ = res.Body.Close()
			}
			if code != tc.code {
				t.Errorf("got %d, want %d", code, tc.code)
			}
			e.assertIdle(key)
		})
	}
}

// assertIdle fails the test if key still has a request in flight.
func (e *env) assertIdle(key types.NamespacedName) {
	e.t.Helper()
	if st, _ := e.th.Stats(key); st.InFlight != 0 {
		e.t.Errorf("throttler: %d in flight, want 0", st.InFlight)
	}
	if g := e.gauge("wake_activator_requests_in_flight", key.Name); g != 0 {
		e.t.Errorf("in-flight gauge %v, want 0 (-1: no series)", g)
	}
	// Over a period after the request, the average concurrency reported
	// is that of requests still counted as in flight.
	now := time.Now()
	e.st.Report(now)
	for _, s := range e.st.Report(now.Add(time.Second)).Stats {
		if s.Namespace == key.Namespace && s.Revision == key.Name && s.AverageConcurrency > 0 {
			e.t.Errorf("stats: average concurrency %v over the second after the request, want 0", s.AverageConcurrency)
		}
	}
}

// TestBadAnswerEjectsPod: a pod that answered out of bounds (here an
// invalid status) gets no further request while it is ejected: the next
// request waits instead of costing the activator another bad answer.
func TestBadAnswerEjectsPod(t *testing.T) {
	e := newEnv(t)
	var served atomic.Int32
	addr := statusPodCounting(t, "600 High", &served)
	e.revision("fn", 0, 10, 10, addr)

	if code, _, _ := e.get("fn.test", "/"); code != http.StatusBadGateway {
		t.Fatalf("first request: %d, want 502", code)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if code, _, _, err := e.do(ctx, "GET", "fn.test", "/"); err == nil {
		t.Fatalf("second request answered %d while the pod is ejected, want it held", code)
	}
	if n := served.Load(); n != 1 {
		t.Errorf("pod got %d requests, want 1", n)
	}
}
