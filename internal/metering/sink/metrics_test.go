package sink

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/testutil"
)

// TestMetrics: each metric counts what happened, per sink.
func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	s := &memSink{script: []error{errDown, Permanent(errors.New("401")), nil}}
	clk := clocktesting.NewFakeClock(t0)
	e := NewExporter(ExporterOptions{Sink: s, MaxQueue: 6, MaxBatch: 2, Clock: clk, Metrics: m})
	other := NewExporter(ExporterOptions{Sink: NewJSONLines("other", nil), Metrics: m})
	other.Add(testEvents(1)...)

	e.Add(testEvents(7)...) // one dropped for a full queue
	errc := flushAsync(context.Background(), e)
	calls(t, s, 1)
	waiters(t, clk, 1) // the backoff
	clk.Step(DefaultMaxBackoff)
	if err := receive(t, errc); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	// Calls: [1 2] fails, [1 2] refused, [3 4] and [5 6] accepted.
	tests := []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{MetricExported, map[string]string{LabelSink: "mem"}, 4},
		{MetricDropped, map[string]string{LabelSink: "mem", LabelReason: ReasonQueueFull}, 1},
		{MetricDropped, map[string]string{LabelSink: "mem", LabelReason: ReasonRefused}, 2},
		{MetricFailures, map[string]string{LabelSink: "mem"}, 1},
		{MetricQueued, map[string]string{LabelSink: "mem"}, 0},
		{MetricQueued, map[string]string{LabelSink: "other"}, 1},
		{MetricExported, map[string]string{LabelSink: "other"}, 0},
		{MetricDropped, map[string]string{LabelSink: "other", LabelReason: ReasonRefused}, 0},
	}
	for _, tc := range tests {
		got, ok := testutil.MetricValue(t, reg, tc.name, tc.labels)
		if !ok || got != tc.want {
			t.Errorf("%s%v = %v (found %v), want %v", tc.name, tc.labels, got, ok, tc.want)
		}
	}
	if n := e.Dropped(); n != 3 {
		t.Errorf("Dropped = %d, want 3", n)
	}

	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	gathered := make([]string, 0, len(mfs))
	for _, mf := range mfs {
		gathered = append(gathered, mf.GetName())
	}
	if !slices.Equal(slices.Sorted(slices.Values(Names)), gathered) {
		t.Errorf("gathered %v, Names lists %v", gathered, Names)
	}
}

// TestDocumentedMetrics: README.md documents every metric of the sinks,
// with its labels.
func TestDocumentedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := NewMetrics(reg)
	e := NewExporter(ExporterOptions{Sink: NewJSONLines("mem", nil), Metrics: m})
	e.Add(testEvents(1)...)
	want := map[string]testutil.Metric{
		MetricExported: {Type: "counter", Labels: []string{LabelSink}},
		MetricDropped:  {Type: "counter", Labels: []string{LabelSink, LabelReason}},
		MetricFailures: {Type: "counter", Labels: []string{LabelSink}},
		MetricQueued:   {Type: "gauge", Labels: []string{LabelSink}},
	}
	if len(want) != len(Names) {
		t.Fatalf("the test checks %d metrics, the package has %d", len(want), len(Names))
	}
	testutil.CheckDocumentedMetrics(t, reg, "wake_metering_", want)
}
