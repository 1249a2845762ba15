package routeusage

import (
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testenv"
)

// TestWriterOnAnAPIServer: the Writer, with only the RBAC its markers
// grant, writes a Route's status.usage from the Aggregator's sums, never
// lowers a count the status has (a new leader's sums start low), and
// forgets a deleted Route.
func TestWriterOnAnAPIServer(t *testing.T) {
	env, admin := testenv.StartT(t)
	ctx := t.Context()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "ns"}}
	if err := admin.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	rt := &servingv1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "api"}, Spec: servingv1alpha1.RouteSpec{
		Hosts: []servingv1alpha1.Hostname{"api.example.com"},
		Rules: []servingv1alpha1.RouteRule{{Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "fn", Percent: 100}}}},
	}}
	if err := admin.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	cfg := testenv.As(t, env.Config, "usage-writer", testenv.MarkerRules(t, "writer.go"))
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	const day = "2026-12-02"
	now := time.Date(2026, 12, 2, 12, 0, 0, 0, time.UTC)
	key := types.NamespacedName{Namespace: "ns", Name: "api"}
	entry := func(ok int64) *statwire.Usage { return frame(1, day, rule0("", ok, 0)) }

	a := New()
	w := &Writer{Client: c, Aggregator: a, Log: testr.New(t)}
	a.Apply("act-a", entry(7))
	w.Flush(ctx, nil, now)
	if got := successOf(t, admin, key); got != 7 {
		t.Fatalf("2xx %d, want 7", got)
	}

	// A new leader knows less than the status: the status's count stays.
	fresh := New()
	w = &Writer{Client: c, Aggregator: fresh, Log: testr.New(t)}
	fresh.Apply("act-b", entry(3))
	w.Flush(ctx, nil, now)
	if got := successOf(t, admin, key); got != 7 {
		t.Fatalf("2xx %d after a new leader's smaller sum, want 7 kept", got)
	}
	fresh.Apply("act-b", entry(9))
	w.Flush(ctx, nil, now)
	if got := successOf(t, admin, key); got != 9 {
		t.Fatalf("2xx %d, want 9", got)
	}

	if err := admin.Delete(ctx, rt); err != nil {
		t.Fatal(err)
	}
	fresh.Apply("act-b", entry(10))
	w.Flush(ctx, nil, now)
	if got := fresh.Route(day, key); len(got) != 0 {
		t.Errorf("a deleted Route's counts kept: %+v", got)
	}
}

// successOf reads the 2xx count of rule 0 on the first day of key's
// status.usage.
func successOf(t *testing.T, c client.Client, key types.NamespacedName) int64 {
	t.Helper()
	rt := &servingv1alpha1.Route{}
	if err := c.Get(t.Context(), key, rt); err != nil {
		t.Fatal(err)
	}
	u := rt.Status.Usage
	if u == nil || len(u.Days) == 0 || len(u.Days[0].Rules) == 0 {
		t.Fatalf("no usage: %+v", u)
	}
	return u.Days[0].Rules[0].Requests.Success
}
