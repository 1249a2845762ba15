package handler_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/testutil"
)

// activatorMetrics are the activator's metrics as README.md documents them,
// with the type and labels dashboards and alerts rely on.
var activatorMetrics = map[string]testutil.Metric{
	"wake_activator_requests_total":                {Type: "counter", Labels: []string{"namespace", "revision", "code"}},
	"wake_activator_request_duration_seconds":      {Type: "histogram", Labels: []string{"namespace", "revision"}},
	"wake_activator_queue_wait_seconds":            {Type: "histogram", Labels: []string{"namespace", "revision"}},
	"wake_activator_queue_depth":                   {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"wake_activator_requests_in_flight":            {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"wake_activator_cold_starts_total":             {Type: "counter", Labels: []string{"namespace", "revision"}},
	"wake_activator_cold_start_wait_seconds":       {Type: "histogram", Labels: []string{"namespace", "revision"}},
	"wake_activator_stats_frames_dropped_total":    {Type: "counter"},
	"wake_activator_refused_total":                 {Type: "counter", Labels: []string{"reason"}},
	"wake_activator_clients_gone_total":            {Type: "counter"},
	"wake_activator_endpointslices_refused_total":  {Type: "counter", Labels: []string{"reason"}},
	"wake_activator_tenant_requests_in_flight":     {Type: "gauge", Labels: []string{"namespace"}},
	"wake_activator_route_requests_total":          {Type: "counter", Labels: []string{"namespace", "route", "rule", "class"}},
	"wake_activator_route_rate_limited_total":      {Type: "counter", Labels: []string{"namespace", "route", "rule", "mode"}},
	"wake_activator_route_client_requests_total":   {Type: "counter", Labels: []string{"namespace", "route", "rule", "client", "class"}},
	"wake_activator_route_log_lines_dropped_total": {Type: "counter"},
	"wake_activator_metering_dropped_total":        {Type: "counter"},
}

// TestDocumentedMetrics drives an activator through a request held at its
// pod, a cold start and a refused EndpointSlice, then checks every metric
// README.md documents for the activator: gathered under its documented
// name, with its type and labels, and with the values those requests
// imply. A rename on either side, or a README name without a metric, fails.
func TestDocumentedMetrics(t *testing.T) {
	e := newEnvWith(t, envOptions{meter: meter.New(meter.Options{Mode: metering.ModeRequest})})
	// As app.Run does, the EndpointSlice counter shares the registry.
	sliceRefused, err := feed.NewRefusedSlicesCounter(e.reg)
	if err != nil {
		t.Fatal(err)
	}
	sliceRefused(feed.RefusedServiceName)

	rev := func(name string, more ...string) map[string]string {
		l := map[string]string{"namespace": "ns", "revision": name}
		for i := 0; i+1 < len(more); i += 2 {
			l[more[i]] = more[i+1]
		}
		return l
	}
	value := func(name string, labels map[string]string) float64 {
		t.Helper()
		v, ok := testutil.MetricValue(t, e.reg, name, labels)
		if !ok {
			t.Fatalf("no series of %s with labels %v", name, labels)
		}
		return v
	}

	// A request held at its pod counts as in flight until it is answered,
	// against its namespace's tenant limit too.
	e.dp.Tenants.SetLimits(&tenant.Table{Namespaces: map[string]tenant.Limits{"ns": {MaxInFlight: 10}}})
	arrived, release := make(chan struct{}, 1), make(chan struct{})
	pod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		_, _ = io.WriteString(w, "ok")
	}))
	defer pod.Close()
	unblock := sync.OnceFunc(func() { close(release) })
	defer unblock() // before pod.Close, which waits for the held request
	e.revision("held", 1, 1, 0, hostOf(pod))
	codes := make(chan int, 1)
	go func() { c, _, _ := e.get("held.test", "/"); codes <- c }()
	<-arrived
	if v := value("wake_activator_requests_in_flight", rev("held")); v != 1 {
		t.Errorf("in flight while the pod holds the request = %v, want 1", v)
	}
	if v := value("wake_activator_tenant_requests_in_flight", map[string]string{"namespace": "ns"}); v != 1 {
		t.Errorf("in flight against the tenant limit while the pod holds the request = %v, want 1", v)
	}
	unblock()
	if c := <-codes; c != 200 {
		t.Fatalf("held request: %d, want 200", c)
	}
	testutil.Eventually(t, 10*time.Second, "in-flight gauge back to 0", func() bool {
		v, ok := testutil.MetricValue(t, e.reg, "wake_activator_requests_in_flight", rev("held"))
		return ok && v == 0
	})

	// A cold start: the request waits in the queue until a pod is ready.
	zero := e.revision("zero", 0, 0, 0)
	go func() { c, _, _ := e.get("zero.test", "/"); codes <- c }()
	testutil.Eventually(t, 10*time.Second, "request queued", func() bool { return e.queued(zero) == 1 })
	testutil.Eventually(t, 10*time.Second, "cold start reported", func() bool { return e.coldStarts() == 1 })
	if v := value("wake_activator_queue_depth", rev("zero")); v != 1 {
		t.Errorf("queue depth while waiting for a pod = %v, want 1", v)
	}
	e.th.SetEndpoints(zero, []throttler.Endpoint{{Address: hostOf(okBackend(t)), Ready: true}})
	if c := <-codes; c != 200 {
		t.Fatalf("cold request: %d, want 200", c)
	}

	// A rule that admits one request an hour, counted per client: the
	// second is refused.
	limited := routing.TrafficInput{Revision: e.revision("limited", 0, 0, 0, hostOf(okBackend(t))), Percent: 100}
	e.addRoute(routing.RouteInput{Namespace: "ns", Name: "capped", Hosts: []string{"capped.test"}, Rules: []routing.RuleInput{{
		Traffic:        []routing.TrafficInput{limited},
		RateLimit:      &ratelimit.Config{Namespace: "ns", Scope: "ns/capped/0", Limits: []ratelimit.Limit{{Name: "hourly", Requests: 1, Per: time.Hour}}},
		APIKeys:        &apikey.Config{Clients: map[string]apikey.Hash{"alice": apikey.HashOf([]byte("secret"))}, Headers: []string{"X-Key"}},
		UsagePerClient: true,
	}}})
	for _, want := range []int{http.StatusOK, http.StatusTooManyRequests} {
		if code, _, _ := e.send(http.MethodGet, "capped.test", "/", "X-Key", "secret"); code != want {
			t.Fatalf("rate-limited rule: %d, want %d", code, want)
		}
	}

	testutil.CheckDocumentedMetrics(t, e.reg, "wake_activator_", activatorMetrics)
	tests := []struct {
		name   string
		labels map[string]string
		want   float64 // a histogram's sample count
	}{
		{"wake_activator_requests_total", rev("held", "code", "200"), 1},
		{"wake_activator_requests_total", rev("zero", "code", "200"), 1},
		{"wake_activator_request_duration_seconds", rev("held"), 1},
		{"wake_activator_queue_wait_seconds", rev("held"), 1},
		{"wake_activator_queue_wait_seconds", rev("zero"), 1},
		{"wake_activator_queue_depth", rev("zero"), 0},
		{"wake_activator_requests_in_flight", rev("zero"), 0},
		{"wake_activator_cold_starts_total", rev("held"), 0},
		{"wake_activator_cold_starts_total", rev("zero"), 1},
		{"wake_activator_cold_start_wait_seconds", rev("held"), 0},
		{"wake_activator_cold_start_wait_seconds", rev("zero"), 1},
		// The cold start's poke: the reporter has no stat server to send it to.
		{"wake_activator_stats_frames_dropped_total", nil, 1},
		{"wake_activator_route_log_lines_dropped_total", nil, 0},
		{"wake_activator_metering_dropped_total", nil, 0},
		{"wake_activator_refused_total", map[string]string{"reason": "queue_full"}, 0},
		{"wake_activator_refused_total", map[string]string{"reason": "tenant_in_flight"}, 0},
		{"wake_activator_tenant_requests_in_flight", map[string]string{"namespace": "ns"}, 0},
		{"wake_activator_clients_gone_total", nil, 0},
		{"wake_activator_endpointslices_refused_total", map[string]string{"reason": feed.RefusedServiceName}, 1},
		// Each env revision has a Route of its name whose rule 0 takes "/".
		{"wake_activator_route_requests_total", map[string]string{"namespace": "ns", "route": "held", "rule": "0", "class": "2xx"}, 1},
		{"wake_activator_route_requests_total", map[string]string{"namespace": "ns", "route": "zero", "rule": "0", "class": "2xx"}, 1},
		{"wake_activator_route_requests_total", map[string]string{"namespace": "ns", "route": "zero", "rule": "0", "class": "5xx"}, 0},
		{"wake_activator_route_rate_limited_total", map[string]string{"namespace": "ns", "route": "capped", "rule": "0", "mode": "refused"}, 1},
		{"wake_activator_route_client_requests_total", map[string]string{"namespace": "ns", "route": "capped", "rule": "0", "client": "alice", "class": "4xx"}, 1},
		{"wake_activator_route_client_requests_total", map[string]string{"namespace": "ns", "route": "capped", "rule": "0", "client": "alice", "class": "2xx"}, 1},
	}
	for _, tc := range tests {
		if got := value(tc.name, tc.labels); got != tc.want {
			t.Errorf("%s %v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
}
