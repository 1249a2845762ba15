package meterrecords

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

var (
	started = time.Date(2026, 12, 2, 10, 0, 3, 0, time.UTC)
	win     = time.Minute
	w0      = started.Truncate(win).Add(win) // the first window wholly after the start
)

// frame is one activator's metering with the given entries in window w0.
func frame(epoch int64, entries ...statwire.MeterEntry) *statwire.Metering {
	for i := range entries {
		if entries[i].Start == 0 {
			entries[i].Start = w0.UnixMilli()
		}
		if entries[i].Namespace == "" {
			entries[i].Namespace = "team-a"
		}
		if entries[i].Revision == "" {
			entries[i].Revision = "api-00001"
		}
	}
	return &statwire.Metering{Epoch: epoch, Mode: metering.ModeRequest, WindowMillis: win.Milliseconds(), Entries: entries}
}

type drops map[string]int

func newAgg(d drops, o Options) *Aggregator {
	o.Started = started
	o.OnDrop = func(reason string, n int) { d[reason] += n }
	return New(o)
}

func TestSumsSourcesTakingTheLatestCounts(t *testing.T) {
	d := drops{}
	a := newAgg(d, Options{
		Weights: func(rev types.NamespacedName) metering.Weights {
			if rev.Name == "api-00001" {
				return metering.Weights{GB: 2, VCPU: 0.25}
			}
			return metering.Weights{GB: 0.5, VCPU: 1}
		},
	})
	a.Apply("act-1", frame(1, statwire.MeterEntry{Requests: 3, Units: 5, Micros: 400000, ColdStarts: 1, ColdStartUnits: 9}))
	a.Apply("act-1", frame(1, statwire.MeterEntry{Requests: 4, Units: 6, Micros: 480000, ColdStarts: 1, ColdStartUnits: 9, Refused: 2}))
	a.Apply("act-1", frame(1, statwire.MeterEntry{Requests: 3, Units: 5}))               // arrived late: lowers nothing
	a.Apply("act-1", frame(2, statwire.MeterEntry{Requests: 1, Units: 1, Micros: 1000})) // restarted: a new epoch
	a.Apply("act-2", frame(7, statwire.MeterEntry{Requests: 10, Units: 10, Micros: 900000}, statwire.MeterEntry{Revision: "web-00003", Client: "alice", Requests: 1, Units: 2}))
	if n := a.Tick(w0.Add(win).Add(DefaultSettle - time.Millisecond)); n != 0 {
		t.Fatalf("%d records before the window settled", n)
	}
	if n := a.Tick(w0.Add(win).Add(DefaultSettle)); n != 2 {
		t.Fatalf("Tick made %d records, want 2", n)
	}
	recs, next := a.Since(0)
	if len(recs) != 2 || next != 2 {
		t.Fatalf("Since(0) = %d records, next %d; want 2, 2", len(recs), next)
	}
	api := recs[0]
	k := metering.Key{Namespace: "team-a", Function: "api", Revision: "api-00001"}
	if api.Key != k || api.ID != metering.RecordID(k, w0) || !api.WindowStart.Equal(w0) || !api.WindowEnd.Equal(w0.Add(win)) {
		t.Errorf("record names %+v %s [%v, %v)", api.Key, api.ID, api.WindowStart, api.WindowEnd)
	}
	if api.Requests != 15 || api.Units != 17 || api.ActualMillis != 1381 || api.ColdStarts != 1 || api.ColdStartUnits != 9 || api.Refused != 2 || api.ColdStartBilled {
		t.Errorf("record counts = %+v", api)
	}
	if api.GBSeconds != 3.4 || api.VCPUSeconds != 0.425 {
		t.Errorf("GB-s %v, vCPU-s %v; want the revision's weights", api.GBSeconds, api.VCPUSeconds)
	}
	if web := recs[1]; web.Client != "alice" || web.Function != "web" || web.GBSeconds != 0.1 {
		t.Errorf("second record = %+v, want alice's on web with the default weights", web)
	}
	if more, _ := a.Since(next); len(more) != 0 {
		t.Errorf("Since(next) = %d records, want none", len(more))
	}
	if len(d) != 0 {
		t.Errorf("drops %v, want none", d)
	}
	if a.entries != 0 {
		t.Errorf("%d entries held after the only window was finalized", a.entries)
	}
}

func TestDrops(t *testing.T) {
	d := drops{}
	a := newAgg(d, Options{MaxEntries: 3})
	// A window that ended long before this process started.
	a.Apply("act-1", frame(1, statwire.MeterEntry{Start: started.Add(-10 * win).Truncate(win).UnixMilli(), Requests: 1}))
	a.Apply("act-1", &statwire.Metering{Epoch: 1, Mode: "bogus", WindowMillis: 60000, Entries: []statwire.MeterEntry{{}}})
	a.Apply("act-1", frame(1,
		statwire.MeterEntry{Requests: -1},
		statwire.MeterEntry{Start: w0.UnixMilli() + 1, Requests: 1}, // not on a window boundary
		statwire.MeterEntry{Requests: 1},
		statwire.MeterEntry{Client: "c1", Requests: 1},
		statwire.MeterEntry{Client: "c2", Requests: 1}, // over MaxEntries
	))
	a.Tick(w0.Add(win).Add(DefaultSettle))
	a.Apply("act-1", frame(1, statwire.MeterEntry{Requests: 2})) // the window is final
	want := drops{DropInvalid: 3, DropOverflow: 1, DropIncomplete: 1, DropLate: 1}
	for r, n := range want {
		if d[r] != n {
			t.Errorf("dropped %s: %d, want %d (all: %v)", r, d[r], n, d)
		}
	}
	if recs, _ := a.Since(0); len(recs) != 2 {
		t.Errorf("%d records, want 2 (the entries within the bound)", len(recs))
	}
}

func TestAWindowOpenAtTheStartIsWholeOnceResent(t *testing.T) {
	// A window that closed 5 s before this process started is still being
	// resent by every activator: it is finalized here.
	d := drops{}
	a := newAgg(d, Options{})
	closed := started.Add(-5 * time.Second).Truncate(win)
	if !closed.Add(win).Before(started) {
		t.Fatal("test setup: the window must have closed before the start")
	}
	a.Apply("act-1", frame(1, statwire.MeterEntry{Start: closed.UnixMilli(), Requests: 1}))
	if a.Tick(closed.Add(win).Add(DefaultSettle)); len(d) != 0 {
		t.Fatalf("drops %v", d)
	}
	if recs, _ := a.Since(0); len(recs) != 1 {
		t.Fatalf("%d records, want 1", len(recs))
	}
}

func TestColdStartBillableAndRetention(t *testing.T) {
	d := drops{}
	a := newAgg(d, Options{ColdStartBillable: func() bool { return true }})
	a.Apply("act-1", frame(1, statwire.MeterEntry{Requests: 1, Units: 2, ColdStarts: 1, ColdStartUnits: 30}))
	end := w0.Add(win).Add(DefaultSettle)
	a.Tick(end)
	recs, _ := a.Since(0)
	if len(recs) != 1 || recs[0].Units != 32 || !recs[0].ColdStartBilled {
		t.Fatalf("records %+v, want one of 32 units with the cold start billed", recs)
	}
	a.Tick(end.Add(DefaultRetain + time.Second))
	if recs, next := a.Since(0); len(recs) != 0 || next != 1 {
		t.Errorf("after Retain: %d records, next %d; want none, 1", len(recs), next)
	}
}

func TestDocumentedMetrics(t *testing.T) {
	dropped := NewDroppedCounter()
	reg := prometheus.NewRegistry()
	reg.MustRegister(dropped)
	a := New(Options{OnDrop: func(reason string, n int) { dropped.WithLabelValues(reason).Add(float64(n)) }})
	a.Apply("act", frame(1, statwire.MeterEntry{Requests: -1}))
	testutil.CheckDocumentedMetrics(t, reg, "wake_autoscaler_metering_", map[string]testutil.Metric{
		DroppedMetric: {Type: "counter", Labels: []string{"reason"}},
	})
	if v, _ := testutil.MetricValue(t, reg, DroppedMetric, map[string]string{"reason": DropInvalid}); v != 1 {
		t.Errorf("dropped invalid = %v, want 1", v)
	}
}

// TestInstanceModeUnitesThePodsIntervals: in instance mode the busy
// intervals two activators saw on one pod are united before each is
// rounded up, so that time the pod was busy with both is billed once; a
// later frame's longer list replaces the earlier one; the units go to the
// revision's record without a client, beside its requests.
func TestInstanceModeUnitesThePodsIntervals(t *testing.T) {
	d := drops{}
	a := newAgg(d, Options{})
	inst := func(epoch int64, entries ...statwire.MeterEntry) *statwire.Metering {
		m := frame(epoch, entries...)
		m.Mode = metering.ModeInstance
		return m
	}
	ms := int64(1000) // µs
	a.Apply("act-1", inst(1, statwire.MeterEntry{Pod: "p1", Busy: []int64{0, 100 * ms}}))
	a.Apply("act-1", inst(1, statwire.MeterEntry{Pod: "p1", Busy: []int64{0, 250 * ms}}, statwire.MeterEntry{Requests: 2}))
	a.Apply("act-1", inst(1, statwire.MeterEntry{Pod: "p1", Busy: []int64{0, 100 * ms}})) // arrived late: an older list
	a.Apply("act-2", inst(5, statwire.MeterEntry{Pod: "p1", Busy: []int64{200 * ms, 300 * ms, 500 * ms, 501 * ms}}, statwire.MeterEntry{Requests: 2}))
	a.Apply("act-2", inst(5, statwire.MeterEntry{Pod: "p2", Busy: []int64{0, 1}}))
	a.Apply("act-2", inst(5, statwire.MeterEntry{Pod: "p3", Busy: []int64{5, 1}})) // ends before it starts
	a.Tick(w0.Add(win).Add(DefaultSettle))
	recs, _ := a.Since(0)
	if len(recs) != 1 {
		t.Fatalf("%d records, want the revision's one: %+v", len(recs), recs)
	}
	// p1: [0, 300 ms) and [500, 501 ms): 3 + 1 units; p2: 1 µs, 1 unit.
	if r := recs[0]; r.Requests != 4 || r.Units != 5 || r.ActualMillis != 301 || r.Client != "" || r.Mode != metering.ModeInstance {
		t.Errorf("record %+v, want 4 requests, 5 units, 301 ms", r)
	}
	if d[DropInvalid] != 1 {
		t.Errorf("drops %v, want the interval that ends before it starts", d)
	}
}
