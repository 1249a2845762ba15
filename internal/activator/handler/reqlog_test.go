package handler_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/reqlog"
	"github.com/wakefn/wake/internal/activator/routing"
)

// TestRequestLogLines: a rule that logs gets a line per request, served
// or refused, with its route, rule, revision, client, method, path
// (without the query), status, body bytes and latencies, and the headers
// it asks for, redacted where asked (the credential is gone from the
// request by then); a rule that does not log gets none.
func TestRequestLogLines(t *testing.T) {
	e := newEnv(t)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "hello") }))
	defer be.Close()
	rev := routing.TrafficInput{Revision: e.revision("api-00001", 0, 0, 0, hostOf(be)), Percent: 100}
	keys := &apikey.Config{Clients: map[string]apikey.Hash{"alice": apikey.HashOf([]byte("a-secret"))}, Headers: []string{"X-Api-Key"}}
	logs := &reqlog.Config{SamplePercent: 100, Headers: []string{"X-Request-Id", "X-Api-Key", "X-Secret"}, Redact: []string{"X-Secret"}}
	e.addRoute(routing.RouteInput{Namespace: "ns", Name: "api", Hosts: []string{"api.test"}, Rules: []routing.RuleInput{
		{Match: routing.MatchInput{Path: "/logged"}, Traffic: []routing.TrafficInput{rev}, APIKeys: keys, Logs: logs},
		{Match: routing.MatchInput{Path: "/quiet"}, Traffic: []routing.TrafficInput{rev}},
	}})
	e.send(http.MethodGet, "api.test", "/logged/items?api_key=leak", "X-Api-Key", "a-secret", "X-Request-Id", "r-1", "X-Secret", "s")
	e.send(http.MethodGet, "api.test", "/logged/items")
	e.send(http.MethodGet, "api.test", "/quiet")

	taken := e.dp.Logs.Take()
	if len(taken) != 2 {
		t.Fatalf("%d lines, want 2: %+v", len(taken), taken)
	}
	var served, refused reqlog.Line
	for i, l := range []*reqlog.Line{&served, &refused} {
		if taken[i].Namespace != "ns" || taken[i].Route != "api" {
			t.Fatalf("line %d of %s/%s", i, taken[i].Namespace, taken[i].Route)
		}
		if err := json.Unmarshal([]byte(taken[i].Line), l); err != nil {
			t.Fatalf("line %d %q: %v", i, taken[i].Line, err)
		}
	}
	if served.Route != "api" || served.Rule != 0 || served.Revision != "api-00001" || served.Function != "api" || served.Client != "alice" ||
		served.Method != http.MethodGet || served.Path != "/logged/items" || served.Status != http.StatusOK || served.Bytes != 5 {
		t.Errorf("served: %+v", served)
	}
	// The credential was taken off the request before it was logged.
	if h := served.Headers; len(h) != 2 || h["X-Request-Id"] != "r-1" || h["X-Secret"] != reqlog.Redacted {
		t.Errorf("served headers %v, want X-Request-Id and X-Secret redacted, no credential", h)
	}
	if served.LatencyMs <= 0 || served.UpstreamMs <= 0 || served.UpstreamMs > served.LatencyMs || served.ColdStartMs != 0 {
		t.Errorf("served latencies: total %v upstream %v queue %v cold %v", served.LatencyMs, served.UpstreamMs, served.QueueMs, served.ColdStartMs)
	}
	if refused.Status != http.StatusUnauthorized || refused.Client != "" || refused.Bytes != 0 || refused.UpstreamMs != 0 {
		t.Errorf("refused: %+v", refused)
	}
}
