package scaler

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/testutil"
)

// scalerMetrics are the autoscaler metrics README.md documents that the
// scaler registers, with the type and labels dashboards and alerts rely on.
var scalerMetrics = map[string]testutil.Metric{
	"wake_autoscaler_desired_replicas":         {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"wake_autoscaler_panic_mode":               {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"wake_autoscaler_stable_concurrency":       {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"wake_autoscaler_panic_concurrency":        {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"wake_autoscaler_scale_writes_total":       {Type: "counter"},
	"wake_autoscaler_tick_seconds":             {Type: "histogram"},
	"wake_autoscaler_wake_seconds":             {Type: "histogram"},
	"wake_autoscaler_tenant_capped_revisions":  {Type: "gauge", Labels: []string{"namespace"}},
	"wake_autoscaler_revisions":                {Type: "gauge"},
	"wake_autoscaler_scale_write_errors_total": {Type: "counter"},
	"wake_autoscaler_replicaset_wakes_total":   {Type: "counter", Labels: []string{"result"}},
}

// otherMetrics are the documented autoscaler metrics that other
// packages register and check (statserver.TestDocumentedMetrics,
// routeusage's, routelogs', meterrecords' and functionusage's).
var otherMetrics = []string{
	"wake_autoscaler_stats_dropped_total",
	"wake_autoscaler_stats_connections_refused_total",
	"wake_autoscaler_stat_frames_total",
	"wake_autoscaler_stat_entries_total",
	"wake_autoscaler_stat_pokes_total",
	"wake_autoscaler_stat_connections",
	// Registered by routeusage and routelogs, and checked there.
	"wake_autoscaler_usage_entries_dropped_total",
	"wake_autoscaler_route_log_lines_dropped_total",
	// Registered by meterrecords and functionusage, and checked there.
	"wake_autoscaler_metering_entries_dropped_total",
	"wake_autoscaler_function_usage_dropped_total",
}

// TestDocumentedMetrics drives a scaler through calm and a burst, and
// checks the metrics README.md documents for it: gathered under their
// documented names, with their types and labels, and showing each
// decision.
func TestDocumentedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	// A namespace limit that never binds, so that the capped gauge has a
	// series.
	lim := &podLimits{}
	lim.set(rev.Namespace, PodLimits{MaxPods: 1000})
	e := newEnv(t, specWith(func(s *decider.Spec) { s.Target = 10 }), deployment(depName, 1, 1),
		func(o *Options) { o.Registerer = reg; o.Limits = lim })
	start := e.clock.Now()
	revLabels := map[string]string{"namespace": rev.Namespace, "revision": rev.Name}
	check := func(phase string, dec decider.Decision, writes int) {
		t.Helper()
		panicMode := 0.0
		if dec.Panic {
			panicMode = 1
		}
		// Ticks come every even second of the fake clock (env.run).
		ticks := float64(e.clock.Now().Unix()/2 - start.Unix()/2)
		tests := []struct {
			name   string
			labels map[string]string
			want   float64 // a histogram's sample count
		}{
			{"wake_autoscaler_desired_replicas", revLabels, float64(dec.DesiredReplicas)},
			{"wake_autoscaler_panic_mode", revLabels, panicMode},
			{"wake_autoscaler_stable_concurrency", revLabels, dec.StableConcurrency},
			{"wake_autoscaler_panic_concurrency", revLabels, dec.PanicConcurrency},
			{"wake_autoscaler_scale_writes_total", nil, float64(writes)},
			{"wake_autoscaler_tick_seconds", nil, ticks},
			{"wake_autoscaler_tenant_capped_revisions", map[string]string{"namespace": rev.Namespace}, 0},
			{"wake_autoscaler_revisions", nil, 1},
			{"wake_autoscaler_scale_write_errors_total", nil, 0},
			{"wake_autoscaler_replicaset_wakes_total", map[string]string{"result": "scaled"}, 0}, // no wake from zero here
			{"wake_autoscaler_wake_seconds", nil, 0},                                             // nor a poke
		}
		for _, tc := range tests {
			got, ok := testutil.MetricValue(t, reg, tc.name, tc.labels)
			if !ok || got != tc.want {
				t.Errorf("%s: %s %v = %v (found %v), want %v", phase, tc.name, tc.labels, got, ok, tc.want)
			}
		}
	}
	last := func() decider.Decision {
		t.Helper()
		all := e.status.all()
		if len(all) == 0 {
			t.Fatal("no decision recorded")
		}
		return all[len(all)-1]
	}

	e.stats.set(rev, 5) // half a pod's worth
	e.run(70 * time.Second)
	calm := last()
	if calm.Panic || calm.DesiredReplicas != 1 || calm.StableConcurrency != 5 {
		t.Fatalf("calm decision = %+v, want 1 replica at concurrency 5", calm)
	}
	check("calm", calm, 0)

	e.stats.set(rev, 100) // ten pods' worth on one ready pod
	e.run(2 * time.Second)
	burst := last()
	if !burst.Panic || burst.DesiredReplicas < 2 {
		t.Fatalf("burst decision = %+v, want panic and a scale-up", burst)
	}
	if got := e.replicas(); got != burst.DesiredReplicas {
		t.Fatalf("replicas = %d, want the decision's %d", got, burst.DesiredReplicas)
	}
	check("burst", burst, len(e.drain()))
	testutil.CheckDocumentedMetrics(t, reg, "wake_autoscaler_", scalerMetrics, otherMetrics...)
}
