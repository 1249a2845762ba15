package handler_test

import (
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/testutil"
)

// TestRateLimitRefusedByTheActivator: requests over a rule's limit are
// answered 429 with Retry-After, RateLimit-Policy and RateLimit, and never
// reach the function; each header value, and each client on a plan, is
// counted on its own; a rule in shadow mode refuses nothing and counts
// what it would have refused.
func TestRateLimitRefusedByTheActivator(t *testing.T) {
	e := newEnv(t)
	var hits atomic.Int64
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("X-Client", r.Header.Get("Wake-Client-Id"))
	}))
	defer be.Close()
	rev := routing.TrafficInput{Revision: e.revision("warm", 0, 0, 0, hostOf(be)), Percent: 100}
	perUser := &ratelimit.Config{Namespace: "ns", Scope: "ns/api/0", Limits: []ratelimit.Limit{
		{Name: "per-user", Key: ratelimit.KeyHeader, Header: "X-User", Requests: 2, Per: time.Minute},
	}}
	plans := &ratelimit.Config{Namespace: "ns", Scope: "ns/api/1", Plans: []ratelimit.Plan{
		{Limit: ratelimit.Limit{Name: "free", Requests: 1, Per: time.Hour}, Clients: []string{"alice"}},
	}}
	shadow := &ratelimit.Config{Namespace: "ns", Scope: "ns/api/2", Shadow: true, Limits: []ratelimit.Limit{
		{Name: "all", Requests: 1, Per: time.Hour},
	}}
	keys := &apikey.Config{Clients: map[string]apikey.Hash{"alice": apikey.HashOf([]byte("a-secret")), "bob": apikey.HashOf([]byte("b-secret"))},
		Headers: []string{"X-Api-Key"}, ClientHeader: "Wake-Client-Id"}
	e.addRoute(routing.RouteInput{Namespace: "ns", Name: "api", Hosts: []string{"api.test"}, Rules: []routing.RuleInput{
		{Match: routing.MatchInput{Path: "/users"}, Traffic: []routing.TrafficInput{rev}, RateLimit: perUser},
		{Match: routing.MatchInput{Path: "/plans"}, Traffic: []routing.TrafficInput{rev}, RateLimit: plans, APIKeys: keys},
		{Match: routing.MatchInput{Path: "/shadow"}, Traffic: []routing.TrafficInput{rev}, RateLimit: shadow},
	}})
	tests := []struct {
		name, path string
		hdr        []string
		code       int
		// retryAfter, policy and state are the refusal's headers.
		retryAfter, policy, state string
	}{
		{"user a, first", "/users", []string{"X-User", "a"}, http.StatusOK, "", "", ""},
		{"user a, second", "/users", []string{"X-User", "a"}, http.StatusOK, "", "", ""},
		{"user a, over", "/users", []string{"X-User", "a"}, http.StatusTooManyRequests, "30", `"per-user";q=2;w=60`, `"per-user";r=0;t=30`},
		{"user b has its own count", "/users", []string{"X-User", "b"}, http.StatusOK, "", "", ""},
		{"alice on the free plan", "/plans", []string{"X-Api-Key", "a-secret"}, http.StatusOK, "", "", ""},
		{"alice over her plan", "/plans", []string{"X-Api-Key", "a-secret"}, http.StatusTooManyRequests, "3600", `"free";q=1;w=3600`, `"free";r=0;t=3600`},
		{"bob is on no plan", "/plans", []string{"X-Api-Key", "b-secret"}, http.StatusOK, "", "", ""},
		{"bob again", "/plans", []string{"X-Api-Key", "b-secret"}, http.StatusOK, "", "", ""},
		{"a wrong key is refused before any limit", "/plans", []string{"X-Api-Key", "nope"}, http.StatusUnauthorized, "", "", ""},
		{"shadow, first", "/shadow", nil, http.StatusOK, "", "", ""},
		{"shadow, over but admitted", "/shadow", nil, http.StatusOK, "", "", ""},
	}
	wantHits := int64(0)
	for _, tc := range tests {
		before := hits.Load()
		code, h, _ := e.send(http.MethodGet, "api.test", tc.path, tc.hdr...)
		if code != tc.code {
			t.Fatalf("%s: %d, want %d", tc.name, code, tc.code)
		}
		got := [3]string{h.Get("Retry-After"), h.Get("RateLimit-Policy"), h.Get("RateLimit")}
		if want := [3]string{tc.retryAfter, tc.policy, tc.state}; got != want {
			t.Errorf("%s: Retry-After, RateLimit-Policy, RateLimit = %q, want %q", tc.name, got, want)
		}
		if code == http.StatusOK {
			wantHits++
		}
		if n := hits.Load() - before; (code == http.StatusOK) != (n == 1) {
			t.Errorf("%s: the function got %d requests", tc.name, n)
		}
	}
	if n := hits.Load(); n != wantHits {
		t.Errorf("the function got %d requests, want %d", n, wantHits)
	}
	for _, tc := range []struct {
		rule, mode string
		want       float64
	}{{"0", "refused", 1}, {"1", "refused", 1}, {"2", "shadow", 1}, {"2", "refused", 0}} {
		labels := map[string]string{"namespace": "ns", "route": "api", "rule": tc.rule, "mode": tc.mode}
		if n, _ := testutil.MetricValue(t, e.reg, "wake_activator_route_rate_limited_total", labels); n != tc.want {
			t.Errorf("rate limited %v = %v, want %v", labels, n, tc.want)
		}
	}
}
