package statserver

import (
	"io"
	"testing"

	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// statServerMetrics are the autoscaler metrics README.md documents that the
// stat server registers, with the type and labels dashboards and alerts
// rely on.
var statServerMetrics = map[string]testutil.Metric{
	"wake_autoscaler_stats_dropped_total":             {Type: "counter", Labels: []string{"reason"}},
	"wake_autoscaler_stats_connections_refused_total": {Type: "counter", Labels: []string{"reason"}},
	"wake_autoscaler_stat_frames_total":               {Type: "counter"},
	"wake_autoscaler_stat_entries_total":              {Type: "counter"},
	"wake_autoscaler_stat_pokes_total":                {Type: "counter"},
	"wake_autoscaler_stat_connections":                {Type: "gauge"},
}

// scalerMetrics are the documented autoscaler metrics that the scaler
// registers and checks (scaler.TestDocumentedMetrics).
var scalerMetrics = []string{
	"wake_autoscaler_desired_replicas",
	"wake_autoscaler_panic_mode",
	"wake_autoscaler_stable_concurrency",
	"wake_autoscaler_panic_concurrency",
	"wake_autoscaler_scale_writes_total",
	"wake_autoscaler_tick_seconds",
	"wake_autoscaler_wake_seconds",
	"wake_autoscaler_tenant_capped_revisions",
	"wake_autoscaler_revisions",
	"wake_autoscaler_scale_write_errors_total",
	"wake_autoscaler_replicaset_wakes_total",
	// Registered by routeusage, routelogs, meterrecords and
	// functionusage, and checked there.
	"wake_autoscaler_usage_entries_dropped_total",
	"wake_autoscaler_route_log_lines_dropped_total",
	"wake_autoscaler_metering_entries_dropped_total",
	"wake_autoscaler_function_usage_dropped_total",
}

// TestDocumentedMetrics sends a stat server a bad line, a frame naming
// another source and a connection without auth, and checks the metrics
// README.md documents for it: gathered under their documented names, with
// their types and labels, and counting what was dropped and refused.
func TestDocumentedMetrics(t *testing.T) {
	h := start(t)
	value := func(name, reason string) float64 {
		t.Helper()
		v, ok := testutil.MetricValue(t, h.reg, name, map[string]string{"reason": reason})
		if !ok {
			t.Fatalf("no series of %s with reason %q", name, reason)
		}
		return v
	}
	const dropped, refused = "wake_autoscaler_stats_dropped_total", "wake_autoscaler_stats_connections_refused_total"

	c := h.dial("x")
	if _, err := io.WriteString(c, "not a frame\n"); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(h.t, waitTimeout, "bad line counted", func() bool { return value(dropped, DropBadFrame) == 1 })
	h.send(c, frame("x", 3))
	if err := statwire.Write(c, frame("y", 3)); err != nil { // x's token, y's name
		t.Fatal(err)
	}
	testutil.Eventually(h.t, waitTimeout, "frame of another source counted", func() bool { return value(dropped, DropWrongSource) == 1 })
	if err := statwire.Write(h.dialRaw(), frame("z", 3)); err != nil { // a frame instead of auth
		t.Fatal(err)
	}
	testutil.Eventually(h.t, waitTimeout, "connection without auth counted", func() bool { return value(refused, RefuseNoAuth) == 1 })

	testutil.CheckDocumentedMetrics(t, h.reg, "wake_autoscaler_", statServerMetrics, scalerMetrics...)
	for _, reason := range []string{DropNoSource, DropRateLimited, DropUnknownRevision} {
		if v := value(dropped, reason); v != 0 {
			t.Errorf("%s{reason=%q} = %v, want 0", dropped, reason, v)
		}
	}
	if v := value(refused, RefuseAuthTimeout); v != 0 {
		t.Errorf("%s{reason=%q} = %v, want 0", refused, RefuseAuthTimeout, v)
	}
}
