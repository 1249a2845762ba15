package throttler

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

func TestTargetFor(t *testing.T) {
	tests := []struct {
		name string
		addr string
		rc   RevisionConfig
		want probeTarget
	}{
		{"tcp", "10.0.0.1:8080", RevisionConfig{}, probeTarget{addr: "10.0.0.1:8080"}},
		{"tcp other port", "10.0.0.1:8080", RevisionConfig{ProbePort: 9090}, probeTarget{addr: "10.0.0.1:9090"}},
		{"http", "10.0.0.1:8080", RevisionConfig{ProbePath: "/healthz"}, probeTarget{addr: "10.0.0.1:8080", url: "http://10.0.0.1:8080/healthz"}},
		{"http no slash", "10.0.0.1:8080", RevisionConfig{ProbePath: "ready"}, probeTarget{addr: "10.0.0.1:8080", url: "http://10.0.0.1:8080/ready"}},
		{"http other port", "10.0.0.1:8080", RevisionConfig{ProbePath: "/r", ProbePort: 9000}, probeTarget{addr: "10.0.0.1:9000", url: "http://10.0.0.1:9000/r"}},
		{"ipv6", "[fd00::1]:8080", RevisionConfig{ProbePath: "/r"}, probeTarget{addr: "[fd00::1]:8080", url: "http://[fd00::1]:8080/r"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := targetFor(tc.addr, tc.rc); got != tc.want {
				t.Errorf("targetFor = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestHTTPProbeStatus checks which answers of the readiness path pass.
func TestHTTPProbeStatus(t *testing.T) {
	tests := []struct {
		status int
		pass   bool
	}{
		{200, true}, {204, true}, {302, true}, {307, true},
		{404, false}, {500, false}, {503, false},
	}
	for _, tc := range tests {
		t.Run(http.StatusText(tc.status), func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/healthz" {
					http.NotFound(w, r)
					return
				}
				if tc.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere") // not followed
				}
				w.WriteHeader(tc.status)
			}))
			defer srv.Close()
			th := newTestThrottler(t, Options{})
			addr := strings.TrimPrefix(srv.URL, "http://")
			err := th.probe(context.Background(), targetFor(addr, RevisionConfig{ProbePath: "/healthz"}))
			if (err == nil) != tc.pass {
				t.Errorf("probe of status %d: %v, want pass=%v", tc.status, err, tc.pass)
			}
		})
	}
}

// TestColdStartHTTPProbe: with a readiness path, an app that accepts
// connections but answers 503 there is not used until it answers 200.
func TestColdStartHTTPProbe(t *testing.T) {
	var ready atomic.Bool
	var probes, served atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/ready" {
			probes.Add(1)
			if !ready.Load() {
				w.WriteHeader(http.StatusServiceUnavailable)
			}
			return
		}
		served.Add(1)
	}))
	defer srv.Close()
	addr := strings.TrimPrefix(srv.URL, "http://")

	th := newTestThrottler(t, Options{ProbePeriod: 5 * time.Millisecond})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 0, ProbePath: "/ready"})
	done := make(chan result, 1)
	go func() {
		out, err := th.Try(context.Background(), testKey, Queue, func(dest string, _ Outcome) error {
			resp, err := http.Get("http://" + dest + "/")
			if err != nil {
				return err
			}
			return resp.Body.Close()
		})
		done <- result{out: out, err: err}
	}()
	waitQueued(t, th, testKey, 1)
	th.SetEndpoints(testKey, []Endpoint{{Address: addr}})
	testutil.Eventually(t, 10*time.Second, "three failed probes", func() bool { return probes.Load() >= 3 })
	if served.Load() != 0 || queued(th, testKey) != 1 {
		t.Fatal("request sent to a pod whose readiness path answers 503")
	}
	ready.Store(true)
	select {
	case r := <-done:
		if r.err != nil || !r.out.ColdStart || served.Load() != 1 {
			t.Fatalf("Try = %+v, %v; served %d", r.out, r.err, served.Load())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("request not released after the readiness path passed")
	}
}
