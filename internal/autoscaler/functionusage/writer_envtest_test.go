package functionusage

import (
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/meterrecords"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testenv"
)

// TestWriterOnAnAPIServer: the Writer, with only the RBAC its markers
// grant, adds a real Aggregator's records to a Function's status.usage
// (two revisions and a client in one sum, windows either side of midnight
// on their days), which the API server accepts as its schema says; a new
// leader that takes every retained record again counts none twice, and
// adds the windows that came after.
func TestWriterOnAnAPIServer(t *testing.T) {
	env, admin := testenv.StartT(t)
	ctx := t.Context()
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-a"}}); err != nil {
		t.Fatal(err)
	}
	fn := fixture.Function("team-a", "hello", fixture.WithFunctionImage("img:v1"))
	if err := admin.Create(ctx, fn); err != nil {
		t.Fatal(err)
	}
	cfg := testenv.As(t, env.Config, "function-usage-writer", testenv.MarkerRules(t, "writer.go"))
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}

	// The windows come after the Function's creation: two days on, the
	// last two minutes before midnight and the first after.
	midnight := fn.CreationTimestamp.UTC().Truncate(24*time.Hour).AddDate(0, 0, 2)
	w0, w1, w2, w3 := midnight.Add(-2*time.Minute), midnight.Add(-time.Minute), midnight, midnight.Add(time.Minute)
	agg := meterrecords.New(meterrecords.Options{
		Started: midnight.Add(-time.Hour),
		Weights: func(types.NamespacedName) metering.Weights { return metering.Weights{GB: 0.5, VCPU: 0.25} },
	})
	entry := func(rev, client string, start time.Time, req int64) statwire.MeterEntry {
		return statwire.MeterEntry{Namespace: "team-a", Revision: rev, Client: client, Start: start.UnixMilli(),
			Requests: req, Units: 10 * req, Micros: 900000 * req}
	}
	frame := func(entries ...statwire.MeterEntry) *statwire.Metering {
		return &statwire.Metering{Epoch: 1, Mode: metering.ModeRequest, WindowMillis: time.Minute.Milliseconds(), Entries: entries}
	}
	final := func(start time.Time) time.Time { return start.Add(time.Minute + meterrecords.DefaultSettle) }
	agg.Apply("act-a", frame(entry("hello-00001", "", w0, 1), entry("hello-00002", "alice", w0, 2), entry("other-00001", "", w0, 7)))
	agg.Apply("act-b", frame(entry("hello-00002", "", w1, 4), entry("hello-00002", "", w2, 8)))
	agg.Tick(final(w2))

	key := client.ObjectKeyFromObject(fn)
	leader := &Writer{Client: c, Records: agg, Log: testr.New(t)}
	leader.Collect()
	leader.Flush(ctx, nil)
	want := usage(w2.Add(time.Minute),
		day(midnight.Format(DayFormat), 8, 80, "4.000", "2.000"),
		day(w0.Format(DayFormat), 7, 70, "3.500", "1.750"))
	checkUsage(t, admin, key, want)

	// A new leader takes every record the aggregator retains: those
	// counted add nothing, and the window after them is added.
	agg.Apply("act-a", frame(entry("hello-00002", "", w3, 16)))
	agg.Tick(final(w3))
	next := &Writer{Client: c, Records: agg, Log: testr.New(t)}
	next.Collect()
	next.Flush(ctx, nil)
	want.Days[0] = day(midnight.Format(DayFormat), 24, 240, "12.000", "6.000")
	want.CountedThrough = metav1.NewTime(w3.Add(time.Minute))
	checkUsage(t, admin, key, want)
	if n := next.pending.count(types.NamespacedName{Namespace: "team-a", Name: "other"}); n != 0 {
		t.Errorf("%d windows kept for a Function that does not exist", n)
	}
}

// checkUsage fails t unless key's status.usage is want.
func checkUsage(t *testing.T, c client.Client, key types.NamespacedName, want *servingv1alpha1.FunctionUsage) {
	t.Helper()
	fn := &servingv1alpha1.Function{}
	if err := c.Get(t.Context(), key, fn); err != nil {
		t.Fatal(err)
	}
	if !equalUsage(fn.Status.Usage, want) {
		t.Errorf("status.usage = %+v, want %+v", fn.Status.Usage, want)
	}
}
