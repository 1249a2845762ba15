package routeusage

import (
	"fmt"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

var api = types.NamespacedName{Namespace: "ns", Name: "api"}

func frame(epoch int64, day string, entries ...statwire.UsageEntry) *statwire.Usage {
	return &statwire.Usage{Epoch: epoch, Day: day, Entries: entries}
}

// rule0 is an entry of rule 0 of ns/api.
func rule0(client string, ok, limited int64) statwire.UsageEntry {
	return statwire.UsageEntry{Namespace: "ns", Route: "api", Rule: 0, Client: client, Classes: [5]int64{0, ok, 0, limited, 0}, RateLimited: limited}
}

func TestAggregatorSumsSourcesAndEpochs(t *testing.T) {
	a := New()
	const day = "2026-12-02"
	a.Apply("act-a", frame(1, day, rule0("", 10, 1)))
	a.Apply("act-b", frame(1, day, rule0("", 5, 0), rule0("alice", 3, 0)))
	a.Apply("act-a", frame(1, day, rule0("", 12, 1))) // cumulative: replaces 10
	a.Apply("act-a", frame(1, day, rule0("", 11, 1))) // a late, older frame: never back
	a.Apply("act-a", frame(2, day, rule0("", 4, 0)))  // restarted: its old epoch stays in the sum
	a.Apply("act-b", frame(1, day, statwire.UsageEntry{Namespace: "ns", Route: "api", Rule: -1}))
	got := a.Route(day, api)
	want := map[Key]Counts{
		{Rule: 0}:                  {Classes: [5]int64{0, 21, 0, 1, 0}, Limited: 1},
		{Rule: 0, Client: "alice"}: {Classes: [5]int64{0, 3, 0, 0, 0}},
	}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("sum %+v, want %+v", got, want)
	}
	if n := a.Dropped(); n != 1 {
		t.Errorf("dropped %d, want the invalid entry", n)
	}
	if ch := a.Changed(); len(ch[day]) != 1 || ch[day][0] != api {
		t.Errorf("changed %v, want %v on %s", ch, api, day)
	}
	if ch := a.Changed(); len(ch) != 0 {
		t.Errorf("changed again %v, want none", ch)
	}
	a.Forget("2026-12-03")
	if got := a.Route(day, api); len(got) != 0 {
		t.Errorf("after Forget: %+v", got)
	}
}

func TestAggregatorBoundsSourceEpochs(t *testing.T) {
	a := New()
	for i := range MaxSourceEpochs + 3 {
		a.Apply(fmt.Sprint("act-", i), frame(1, "d", rule0("", 1, 0)))
	}
	if got := a.Route("d", api)[Key{Rule: 0}].Classes[1]; got != MaxSourceEpochs {
		t.Errorf("summed %d sources, want at most %d", got, MaxSourceEpochs)
	}
	if n := a.Dropped(); n != 3 {
		t.Errorf("dropped %d, want 3", n)
	}
}

func TestDocumentedMetrics(t *testing.T) {
	a := New()
	a.Apply("act", frame(1, "d", statwire.UsageEntry{}))
	reg := prometheus.NewRegistry()
	reg.MustRegister(a.DroppedCounter())
	testutil.CheckDocumentedMetrics(t, reg, "wake_autoscaler_usage_", map[string]testutil.Metric{
		"wake_autoscaler_usage_entries_dropped_total": {Type: "counter"},
	})
	if v, _ := testutil.MetricValue(t, reg, "wake_autoscaler_usage_entries_dropped_total", nil); v != 1 {
		t.Errorf("dropped = %v, want 1", v)
	}
}

func TestMerge(t *testing.T) {
	day := func(date string, rules ...servingv1alpha1.RuleUsage) servingv1alpha1.UsageDay {
		return servingv1alpha1.UsageDay{Date: date, Rules: rules}
	}
	ok := func(n int64) servingv1alpha1.StatusClassCounts { return servingv1alpha1.StatusClassCounts{Success: n} }
	prev := &servingv1alpha1.RouteUsage{Days: []servingv1alpha1.UsageDay{
		day("2026-12-02", servingv1alpha1.RuleUsage{Rule: 0, Requests: ok(50), Clients: []servingv1alpha1.ClientUsage{{Client: "bob", Requests: ok(9)}}},
			servingv1alpha1.RuleUsage{Rule: 2, Requests: ok(7)}),
		day("2026-12-01", servingv1alpha1.RuleUsage{Rule: 0, Requests: ok(1)}),
	}}
	sums := map[Key]Counts{
		{Rule: 0}:                  {Classes: [5]int64{0, 40, 0, 2, 0}, Limited: 2}, // less 2xx than the status had: kept
		{Rule: 0, Client: "alice"}: {Classes: [5]int64{0, 30, 0, 0, 0}},
		{Rule: 1}:                  {Classes: [5]int64{0, 3, 0, 0, 0}},
	}
	got := Merge(prev, "2026-12-02", sums)
	want := &servingv1alpha1.RouteUsage{Days: []servingv1alpha1.UsageDay{
		day("2026-12-02",
			servingv1alpha1.RuleUsage{Rule: 0, Requests: servingv1alpha1.StatusClassCounts{Success: 50, ClientError: 2}, RateLimited: 2,
				Clients: []servingv1alpha1.ClientUsage{{Client: "alice", Requests: ok(30)}, {Client: "bob", Requests: ok(9)}}},
			servingv1alpha1.RuleUsage{Rule: 1, Requests: ok(3)},
			servingv1alpha1.RuleUsage{Rule: 2, Requests: ok(7)}),
		day("2026-12-01", servingv1alpha1.RuleUsage{Rule: 0, Requests: ok(1)}),
	}}
	if !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("Merge =\n%+v\nwant\n%+v", got, want)
	}

	// A new day goes first; the oldest beyond MaxUsageDays go.
	var long *servingv1alpha1.RouteUsage
	for d := 1; d <= servingv1alpha1.MaxUsageDays+2; d++ {
		long = Merge(long, fmt.Sprintf("2026-11-%02d", d), map[Key]Counts{{Rule: 0}: {Classes: [5]int64{0, 1}}})
	}
	if n := len(long.Days); n != servingv1alpha1.MaxUsageDays || long.Days[0].Date != "2026-11-09" {
		t.Errorf("%d days, latest %s; want %d, latest 2026-11-09", n, long.Days[0].Date, servingv1alpha1.MaxUsageDays)
	}

	// The busiest clients only.
	many := map[Key]Counts{}
	for i := range servingv1alpha1.MaxUsageClients + 5 {
		many[Key{Rule: 0, Client: fmt.Sprintf("c%02d", i)}] = Counts{Classes: [5]int64{0, int64(i)}}
	}
	clients := Merge(nil, "2026-12-02", many).Days[0].Rules[0].Clients
	if len(clients) != servingv1alpha1.MaxUsageClients || clients[0].Client != "c24" {
		t.Errorf("%d clients, first %s; want %d, the busiest (c24) first", len(clients), clients[0].Client, servingv1alpha1.MaxUsageClients)
	}
}
