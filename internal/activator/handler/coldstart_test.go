package handler_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/handler"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// scriptedThrottler calls fn with each scripted attempt in turn while fn
// fails to dial, as the throttler does on a retry.
type scriptedThrottler []scriptedAttempt

type scriptedAttempt struct {
	dest string
	out  throttler.Outcome
}

func (s scriptedThrottler) Try(_ context.Context, _ throttler.RevisionKey, _ throttler.Mode, fn func(string, throttler.Outcome) error) (throttler.Outcome, error) {
	var out throttler.Outcome
	var err error
	for _, a := range s {
		out = a.out
		out.Dest = a.dest
		if err = fn(a.dest, out); !errors.Is(err, throttler.ErrDialFailed) {
			break
		}
	}
	return out, err
}

// TestColdStartHeaderIsThrottlerWait: the header carries exactly the wait
// of the throttler's outcome, and only for requests held for a cold start.
func TestColdStartHeaderIsThrottlerWait(t *testing.T) {
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set(proxy.ServerTimingHeader, "app;dur=1")
	}))
	t.Cleanup(be.Close)
	pod := hostOf(be)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	const ms = time.Millisecond
	tests := []struct {
		name   string
		script scriptedThrottler
		code   int
		header string // "" means absent
		timing string // Server-Timing; "" means absent
	}{
		{"warm", scriptedThrottler{{pod, throttler.Outcome{}}}, 200, "", ""},
		{"queued for capacity", scriptedThrottler{{pod, throttler.Outcome{Wait: 500 * ms}}}, 200, "", ""},
		{"cold start", scriptedThrottler{{pod, throttler.Outcome{ColdStart: true, Wait: 1234 * ms, EndpointWait: 1000 * ms, ReadyWait: 200*ms + 500*time.Microsecond}}}, 200,
			"1234", "wake-endpoint;dur=1000.0, wake-ready;dur=200.5, wake-slot;dur=33.5"},
		{"cold start, retried", scriptedThrottler{
			{dead, throttler.Outcome{ColdStart: true, Wait: 100 * ms}},
			{pod, throttler.Outcome{ColdStart: true, Wait: 250 * ms, Retried: true}},
		}, 200, "250", "wake-endpoint;dur=0.0, wake-ready;dur=0.0, wake-slot;dur=250.0"},
		{"cold start, pod unreachable", scriptedThrottler{{dead, throttler.Outcome{ColdStart: true, Wait: 100 * ms}}}, 502, "", ""},
	}
	key := types.NamespacedName{Namespace: "ns", Name: "fn-1"}
	tbl, _ := routing.Build(routing.Input{Domain: "example.com", Functions: []routing.FunctionInput{{Namespace: "ns", Name: "fn", LatestReadyRevision: key.Name}}})
	table := &routing.Holder{}
	table.Store(tbl)
	p := proxy.New(proxy.Options{})
	defer p.CloseIdleConnections()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := httptest.NewServer(handler.New(handler.Options{Table: table, Throttler: tc.script, Proxy: p}))
			defer s.Close()
			req, _ := http.NewRequest("GET", s.URL, nil)
			req.Host = "fn.ns.example.com"
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			_ = res.Body.Close()
			got, present := res.Header[proxy.ColdStartHeader]
			if res.StatusCode != tc.code || (tc.header == "") == present || (present && got[0] != tc.header) {
				t.Fatalf("got %d %s=%v, want %d %q", res.StatusCode, proxy.ColdStartHeader, got, tc.code, tc.header)
			}
			// The backend's own Server-Timing comes after the activator's.
			want := []string{"app;dur=1"}
			if tc.timing != "" {
				want = []string{tc.timing, "app;dur=1"}
			}
			if tc.code != 200 {
				want = nil
			}
			if got := res.Header.Values(proxy.ServerTimingHeader); !slices.Equal(got, want) {
				t.Fatalf("Server-Timing = %q, want %q", got, want)
			}
		})
	}
}

// TestNoColdStartHeaderAfterAbandonedColdStart: a cold request that gives
// up leaves nothing behind; the next request, served by a ready pod at
// once, is not a cold start.
func TestNoColdStartHeaderAfterAbandonedColdStart(t *testing.T) {
	e := newEnv(t)
	be := okBackend(t)
	key := e.revision("zero", 0, 0, 0)
	e.cancelWhileQueued("zero.test", key, true)
	e.th.SetEndpoints(key, []throttler.Endpoint{{Address: hostOf(be), Ready: true}})
	e.checkWarm("zero.test")
}
