package routelogs

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

func TestDocumentedMetrics(t *testing.T) {
	s := NewStore()
	s.Activate()
	s.Apply("act", []statwire.LogLine{{Namespace: "ns"}})
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.DroppedCounter())
	testutil.CheckDocumentedMetrics(t, reg, "wake_autoscaler_route_log_", map[string]testutil.Metric{
		"wake_autoscaler_route_log_lines_dropped_total": {Type: "counter"},
	})
	if v, _ := testutil.MetricValue(t, reg, "wake_autoscaler_route_log_lines_dropped_total", nil); v != 1 {
		t.Errorf("dropped = %v, want 1", v)
	}
}

func TestLatest(t *testing.T) {
	many := make([]string, MaxLines+5)
	for i := range many {
		many[i] = fmt.Sprint(i)
	}
	big := strings.Repeat("x", MaxBytes/2)
	tests := []struct {
		name  string
		old   string
		lines []string
		want  string
	}{
		{"first lines", "", []string{"a", "b"}, "a\nb\n"},
		{"appended", "a\nb\n", []string{"c"}, "a\nb\nc\n"},
		{"the latest MaxLines", "", many, strings.Join(many[5:], "\n") + "\n"},
		{"at most MaxBytes", big + "\n", []string{big, "c"}, big + "\nc\n"},
		{"nothing", "", nil, ""},
	}
	for _, tc := range tests {
		if got := Latest(tc.old, tc.lines); got != tc.want {
			t.Errorf("%s: %d bytes %.40q..., want %d bytes %.40q...", tc.name, len(got), got, len(tc.want), tc.want)
		}
	}
}

func TestStoreKeepsOnlyOnTheLeaderAndBounded(t *testing.T) {
	s := NewStore()
	line := statwire.LogLine{Namespace: "ns", Route: "api", Line: `{"status":200}`}
	s.Apply("act", []statwire.LogLine{line})
	if got := s.take(); len(got) != 0 || s.dropped.Load() != 0 {
		t.Fatalf("a standby kept %v (dropped %d)", got, s.dropped.Load())
	}
	s.Activate()
	lines := make([]statwire.LogLine, MaxPendingLines+2)
	for i := range lines {
		lines[i] = line
	}
	lines[0].Line = "two\nlines"
	s.Apply("act", lines)
	if got := s.take()[types.NamespacedName{Namespace: "ns", Name: "api"}]; len(got) != MaxPendingLines {
		t.Fatalf("kept %d lines, want %d", len(got), MaxPendingLines)
	}
	if n := s.dropped.Load(); n != 2 {
		t.Fatalf("dropped %d, want the malformed line and one over the bound", n)
	}
}

// TestWriterOnAnAPIServer: with only the RBAC its markers grant, the
// Writer creates a Route's logs ConfigMap (owned by the Route), appends to
// it, and leaves alone a ConfigMap of that name that is not the Route's.
func TestWriterOnAnAPIServer(t *testing.T) {
	env, admin := testenv.StartT(t)
	ctx := t.Context()
	if err := admin.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"api", "other"} {
		rt := &servingv1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name}, Spec: servingv1alpha1.RouteSpec{
			Hosts: []servingv1alpha1.Hostname{servingv1alpha1.Hostname(name + ".example.com")},
			Rules: []servingv1alpha1.RouteRule{{Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "fn", Percent: 100}}}},
		}}
		if err := admin.Create(ctx, rt); err != nil {
			t.Fatal(err)
		}
	}
	mine := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: servingv1alpha1.LogsConfigMapName("other")}, Data: map[string]string{"k": "v"}}
	if err := admin.Create(ctx, mine); err != nil {
		t.Fatal(err)
	}
	cfg := testenv.As(t, env.Config, "logs-writer", testenv.MarkerRules(t, "routelogs.go"))
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	s := NewStore()
	s.Activate()
	w := &Writer{Client: c, Reader: c, Store: s}
	send := func(route string, lines ...string) {
		var ll []statwire.LogLine
		for _, l := range lines {
			ll = append(ll, statwire.LogLine{Namespace: "ns", Route: route, Line: l})
		}
		s.Apply("act", ll)
		w.Flush(ctx, nil)
	}
	send("api", `{"n":1}`, `{"n":2}`)
	send("api", `{"n":3}`)
	send("other", `{"n":1}`)
	send("gone", `{"n":1}`) // no such Route: nothing written

	cm := &corev1.ConfigMap{}
	if err := admin.Get(ctx, types.NamespacedName{Namespace: "ns", Name: "api-wake-logs"}, cm); err != nil {
		t.Fatal(err)
	}
	if got, want := cm.Data[DataKey], "{\"n\":1}\n{\"n\":2}\n{\"n\":3}\n"; got != want {
		t.Errorf("lines %q, want %q", got, want)
	}
	if len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].Name != "api" || cm.Labels[LabelRoute] != "api" {
		t.Errorf("owners %+v labels %v, want the Route api", cm.OwnerReferences, cm.Labels)
	}
	if err := admin.Get(ctx, client.ObjectKeyFromObject(mine), mine); err != nil {
		t.Fatal(err)
	}
	if _, written := mine.Data[DataKey]; written || mine.Data["k"] != "v" {
		t.Errorf("a ConfigMap that is not the Route's was changed: %v", mine.Data)
	}
	if n := s.dropped.Load(); n != 1 {
		t.Errorf("dropped %d, want the line for the ConfigMap not the Route's", n)
	}
	var notOwned *NotOwnedError
	if err := w.write(ctx, types.NamespacedName{Namespace: "ns", Name: "other"}, []string{"x"}); !errors.As(err, &notOwned) {
		t.Errorf("write to another's ConfigMap: %v, want a NotOwnedError", err)
	}
}
