package metrics

import (
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"
)

func TestRecordAndDelete(t *testing.T) {
	reg := prometheus.NewRegistry()
	a := types.NamespacedName{Namespace: "ns", Name: "a"}
	b := types.NamespacedName{Namespace: "ns", Name: "b"}
	m, err := New(reg, Options{
		Depth:        func(f func(types.NamespacedName, int, int)) { f(a, 3, 1) },
		StatsDropped: func() uint64 { return 7 },
	})
	if err != nil {
		t.Fatal(err)
	}
	m.For(a).Done(200, time.Millisecond)
	m.For(a).Done(200, time.Millisecond)
	m.For(a).Done(503, time.Millisecond)
	m.For(a).Waited(2*time.Second, true)
	m.For(b).Done(200, time.Millisecond)
	m.Unrouted().Done(404, time.Millisecond)

	want := `
# HELP wake_activator_requests_total Requests by revision and status code (499: client left).
# TYPE wake_activator_requests_total counter
wake_activator_requests_total{code="404",namespace="",revision=""} 1
wake_activator_requests_total{code="200",namespace="ns",revision="a"} 2
wake_activator_requests_total{code="503",namespace="ns",revision="a"} 1
wake_activator_requests_total{code="200",namespace="ns",revision="b"} 1
# HELP wake_activator_queue_depth Requests waiting for a pod slot.
# TYPE wake_activator_queue_depth gauge
wake_activator_queue_depth{namespace="ns",revision="a"} 3
# HELP wake_activator_cold_starts_total Requests held while their revision had no pod.
# TYPE wake_activator_cold_starts_total counter
wake_activator_cold_starts_total{namespace="",revision=""} 0
wake_activator_cold_starts_total{namespace="ns",revision="a"} 1
wake_activator_cold_starts_total{namespace="ns",revision="b"} 0
# HELP wake_activator_stats_frames_dropped_total Stats frames dropped (buffer full or write failed).
# TYPE wake_activator_stats_frames_dropped_total counter
wake_activator_stats_frames_dropped_total 7
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "wake_activator_requests_total",
		"wake_activator_queue_depth", "wake_activator_cold_starts_total", "wake_activator_stats_frames_dropped_total"); err != nil {
		t.Fatal(err)
	}
	m.DeleteRevision(a)
	n, err := testutil.GatherAndCount(reg, "wake_activator_requests_total", "wake_activator_request_duration_seconds", "wake_activator_cold_starts_total")
	if err != nil {
		t.Fatal(err)
	}
	// left: b and unrouted, for each of the three metrics.
	if n != 6 {
		t.Errorf("%d series after delete, want 6", n)
	}
	// A deleted revision that comes back gets fresh series.
	m.For(a).Done(200, time.Millisecond)
	if c := testutil.ToFloat64(m.requests.WithLabelValues("ns", "a", "200")); c != 1 {
		t.Errorf("recreated counter = %v", c)
	}
}
