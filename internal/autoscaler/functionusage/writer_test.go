package functionusage

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	clocktesting "k8s.io/utils/clock/testing"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/scheme"
	"github.com/wakefn/wake/internal/testutil"
)

// records is a Records that hands out a list, each record once per
// sequence number, as the aggregator does.
type records struct {
	mu   sync.Mutex
	recs []metering.Record
}

func (r *records) add(recs ...metering.Record) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.recs = append(r.recs, recs...)
}

func (r *records) Since(seq uint64) ([]metering.Record, uint64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]metering.Record(nil), r.recs[min(int(seq), len(r.recs)):]...), uint64(len(r.recs))
}

// fakeClient holds objs, with the Function status subresource.
func fakeClient(objs ...client.Object) client.WithWatch {
	return fake.NewClientBuilder().WithScheme(scheme.New()).WithObjects(objs...).
		WithStatusSubresource(&servingv1alpha1.Function{}).Build()
}

func usageOf(t *testing.T, c client.Client) *servingv1alpha1.FunctionUsage {
	t.Helper()
	fn := &servingv1alpha1.Function{}
	if err := c.Get(context.Background(), hello, fn); err != nil {
		t.Fatal(err)
	}
	return fn.Status.Usage
}

func TestFlush(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Group: "serving.wake.dev", Resource: "functions"}, "hello", errors.New("modified"))
	patchFails := func(err error) interceptor.Funcs {
		return interceptor.Funcs{SubResourcePatch: func(context.Context, client.Client, string, client.Object, client.Patch, ...client.SubResourcePatchOption) error {
			return err
		}}
	}
	// staleRead hands out the Function, then changes it: the writer's read
	// is behind, as a lagging cache's would be.
	staleRead := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if err := c.Get(ctx, key, obj, opts...); err != nil {
			return err
		}
		newer := obj.DeepCopyObject().(*servingv1alpha1.Function)
		newer.Status.LatestReadyRevisionName = "hello-00002"
		return c.Status().Update(ctx, newer)
	}}
	counted := fixture.Function("team-a", "hello", func(f *servingv1alpha1.Function) {
		f.Status.Usage = usage(at(2, 12, 2), day("2026-12-02", 3, 30, "6.000", "1.500"))
	})
	tests := []struct {
		name    string
		fn      *servingv1alpha1.Function // nil: none
		funcs   interceptor.Funcs
		want    *servingv1alpha1.FunctionUsage
		pending int // windows still waiting
	}{{
		name: "written",
		fn:   fixture.Function("team-a", "hello"),
		want: usage(at(2, 12, 2), day("2026-12-02", 3, 30, "6.000", "1.500")),
	}, {
		name: "a replay of counted windows writes nothing",
		fn:   counted,
		want: counted.Status.Usage,
	}, {
		name:    "a conflict keeps the sums for the next interval",
		fn:      fixture.Function("team-a", "hello"),
		funcs:   patchFails(conflict),
		pending: 2,
	}, {
		name:    "a failed write keeps the sums for the next interval",
		fn:      fixture.Function("team-a", "hello"),
		funcs:   patchFails(errors.New("boom")),
		pending: 2,
	}, {
		name:    "a stale read conflicts instead of counting twice",
		fn:      fixture.Function("team-a", "hello"),
		funcs:   staleRead,
		pending: 2,
	}, {
		name: "a Function that is gone takes its sums with it",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var objs []client.Object
			if tt.fn != nil {
				objs = append(objs, tt.fn.DeepCopy())
			}
			c := fakeClient(objs...)
			src := &records{}
			src.add(record("team-a", "hello-00001", "", at(2, 12, 0), 1), record("team-a", "hello-00001", "", at(2, 12, 1), 2))
			w := &Writer{Client: interceptor.NewClient(c, tt.funcs), Records: src, Log: testr.New(t)}
			w.Collect()
			w.Flush(t.Context(), nil)
			if n := w.pending.count(hello); n != tt.pending {
				t.Errorf("%d windows waiting, want %d", n, tt.pending)
			}
			if tt.fn == nil {
				return
			}
			if got := usageOf(t, c); !equalUsage(got, tt.want) {
				t.Errorf("status.usage = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// equalUsage compares usages as the API server keeps them: times to the
// second.
func equalUsage(a, b *servingv1alpha1.FunctionUsage) bool {
	if a == nil || b == nil {
		return a == b
	}
	if !a.CountedThrough.Equal(&b.CountedThrough) || len(a.Days) != len(b.Days) {
		return false
	}
	for i := range a.Days {
		if a.Days[i] != b.Days[i] {
			return false
		}
	}
	return true
}

// TestStartCollectsAndWrites runs the Writer on a fake clock: records that
// come while it runs reach the status.
func TestStartCollectsAndWrites(t *testing.T) {
	c := fakeClient(fixture.Function("team-a", "hello"))
	src := &records{}
	clk := clocktesting.NewFakeClock(at(2, 12, 5))
	w := &Writer{Client: c, Records: src, Clock: clk, Interval: 10 * time.Second, Log: testr.New(t)}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = w.Start(ctx) }()
	defer func() { cancel(); <-done }()

	src.add(record("team-a", "hello-00001", "", at(2, 12, 0), 1))
	want := usage(at(2, 12, 1), day("2026-12-02", 1, 10, "2.000", "0.500"))
	testutil.Eventually(t, 10*time.Second, "status.usage written", func() bool {
		clk.Step(time.Second)
		return equalUsage(usageOf(t, c), want)
	})
	src.add(record("team-a", "hello-00002", "", at(2, 12, 1), 2))
	want = usage(at(2, 12, 2), day("2026-12-02", 3, 30, "6.000", "1.500"))
	testutil.Eventually(t, 10*time.Second, "the next window added", func() bool {
		clk.Step(time.Second)
		return equalUsage(usageOf(t, c), want)
	})
}

func TestDocumentedMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	dropped := NewDroppedCounter()
	reg.MustRegister(dropped)
	src := &records{}
	for i := range MaxPendingWindows + 1 {
		src.add(record("team-a", "hello-00001", "", at(1, 0, 0).Add(time.Duration(i)*time.Minute), 1))
	}
	w := &Writer{Client: fakeClient(), Records: src, Dropped: dropped, Log: testr.New(t)}
	w.Collect()
	testutil.CheckDocumentedMetrics(t, reg, "wake_autoscaler_function_usage_", map[string]testutil.Metric{
		DroppedMetric: {Type: "counter"},
	})
	if v, _ := testutil.MetricValue(t, reg, DroppedMetric, nil); v != 1 {
		t.Errorf("dropped = %v, want 1", v)
	}
}
