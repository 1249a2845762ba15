package handler_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/testutil"
)

const appOrigin = "https://app.test"

// corsRoute is host "api.test": "/" with a CORS policy for appOrigin,
// GET and PUT only, and "/open" without one, every method allowed; both
// go to rev.
func corsRoute(rev routing.TrafficInput) routing.RouteInput {
	policy := &cors.Config{
		AllowOrigins: []string{appOrigin}, AllowMethods: []string{"GET", "PUT"},
		AllowHeaders: []string{"X-Key"}, ExposeHeaders: []string{"X-Total"}, AllowCredentials: true,
	}
	return routing.RouteInput{Namespace: "ns", Name: "api", Hosts: []string{"api.test"}, Rules: []routing.RuleInput{
		{Match: routing.MatchInput{Path: "/", Methods: []string{"GET", "PUT"}}, Traffic: []routing.TrafficInput{rev}, CORS: policy},
		{Match: routing.MatchInput{Path: "/open"}, Traffic: []routing.TrafficInput{rev}},
	}}
}

// send is do with a 10 s timeout, failing the test on a transport error.
func (e *env) send(method, host, path string, hdr ...string) (int, http.Header, string) {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	code, h, body, err := e.do(ctx, method, host, path, hdr...)
	if err != nil {
		e.t.Fatalf("%s %s%s: %v", method, host, path, err)
	}
	return code, h, body
}

// TestPreflightAnsweredAtZero: a preflight to a rule with a CORS policy is
// answered by the activator, allowed or not, without waking the revision
// (it has no pod) or waiting for it.
func TestPreflightAnsweredAtZero(t *testing.T) {
	e := newEnv(t)
	cold := e.revision("cold", 0, 0, 0)
	e.addRoute(corsRoute(routing.TrafficInput{Revision: cold, Percent: 100}))
	tests := []struct {
		name, origin, asks string
		code               int
		allowOrigin        string
	}{
		{"allowed origin", appOrigin, "PUT", http.StatusNoContent, appOrigin},
		{"other origin", "https://evil.test", "PUT", http.StatusForbidden, ""},
		// The preflight is for the rule of the method it asks about: "/"
		// allows only GET and PUT, so DELETE finds no rule at all.
		{"method no rule allows", appOrigin, "DELETE", http.StatusMethodNotAllowed, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, h, _ := e.send(http.MethodOptions, "api.test", "/items", cors.HeaderOrigin, tc.origin, cors.HeaderRequestMethod, tc.asks)
			if code != tc.code || h.Get(cors.HeaderAllowOrigin) != tc.allowOrigin {
				t.Fatalf("got %d Allow-Origin %q, want %d %q", code, h.Get(cors.HeaderAllowOrigin), tc.code, tc.allowOrigin)
			}
		})
	}
	if n := e.coldStarts(); n != 0 {
		t.Errorf("preflights woke the revision %d times, want 0", n)
	}
	if n := e.metric("wake_activator_requests_total", "ns", "cold", "204"); n != 1 {
		t.Errorf("204 preflights counted %v, want 1", n)
	}
	// Under the rule that answered: rule 0 of Route ns/api; the 405 found
	// no rule.
	for class, want := range map[string]float64{"2xx": 1, "4xx": 1} {
		labels := map[string]string{"namespace": "ns", "route": "api", "rule": "0", "class": class}
		if n, _ := testutil.MetricValue(t, e.reg, "wake_activator_route_requests_total", labels); n != want {
			t.Errorf("route requests %v = %v, want %v", labels, n, want)
		}
	}
}

// TestCORSHeadersOnResponses: a request to a rule with a CORS policy is
// answered with the policy's headers, which replace the function's own;
// a request from another origin gets none, the function's dropped too; a
// preflight to a rule without a policy reaches the function.
func TestCORSHeadersOnResponses(t *testing.T) {
	e := newEnv(t)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set(cors.HeaderAllowOrigin, "*")
		w.Header().Set(cors.HeaderAllowCredentials, "false")
		w.Header().Set("Vary", "Accept-Encoding")
		_, _ = io.WriteString(w, r.Method+" "+r.Header.Get(cors.HeaderOrigin))
	}))
	defer be.Close()
	warm := e.revision("warm", 0, 0, 0, hostOf(be))
	e.addRoute(corsRoute(routing.TrafficInput{Revision: warm, Percent: 100}))
	tests := []struct {
		name, method, path, origin string
		allowOrigin, credentials   string
		expose, vary               string
	}{
		{"allowed origin", http.MethodGet, "/items", appOrigin, appOrigin, "true", "X-Total", "Origin, Accept-Encoding"},
		{"other origin", http.MethodGet, "/items", "https://evil.test", "", "", "", "Accept-Encoding"},
		{"no origin", http.MethodPut, "/items", "", "", "", "", "Accept-Encoding"},
		{"rule without a policy", http.MethodGet, "/open", appOrigin, "*", "false", "", "Accept-Encoding"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, h, body := e.send(tc.method, "api.test", tc.path, cors.HeaderOrigin, tc.origin)
			got := []string{h.Get(cors.HeaderAllowOrigin), strings.Join(h.Values(cors.HeaderAllowCredentials), ","), h.Get(cors.HeaderExposeHeaders), strings.Join(h.Values("Vary"), ", ")}
			want := []string{tc.allowOrigin, tc.credentials, tc.expose, tc.vary}
			if code != http.StatusOK || body != tc.method+" "+tc.origin || strings.Join(got, "|") != strings.Join(want, "|") {
				t.Fatalf("got %d %q, Allow-Origin|Credentials|Expose|Vary %q, want 200 %q %q", code, body, got, tc.method+" "+tc.origin, want)
			}
		})
	}
	code, _, body := e.send(http.MethodOptions, "api.test", "/open", cors.HeaderOrigin, appOrigin, cors.HeaderRequestMethod, "PUT")
	if code != http.StatusOK || body != "OPTIONS "+appOrigin {
		t.Errorf("preflight to a rule without a policy: %d %q, want the function's 200", code, body)
	}
}
