//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/testutil"
)

// grantDomains creates a DomainGrant of domains to ns (the cluster's
// domain policy is "claims", the default) and deletes it after the test.
func grantDomains(t *testing.T, ns string, domains ...string) *servingv1alpha1.DomainGrant {
	t.Helper()
	g := newGrant(ns, domains...)
	create(t, g)
	t.Cleanup(func() { _ = suite.client.Delete(context.Background(), g) })
	return g
}

// newGrant returns a DomainGrant of domains to ns, named after ns.
func newGrant(ns string, domains ...string) *servingv1alpha1.DomainGrant {
	g := &servingv1alpha1.DomainGrant{ObjectMeta: metav1.ObjectMeta{Name: "e2e-" + ns}, Spec: servingv1alpha1.DomainGrantSpec{Namespace: ns}}
	for _, d := range domains {
		g.Spec.Domains = append(g.Spec.Domains, servingv1alpha1.Hostname(d))
	}
	return g
}

// TestDomainGrantDeletedStopsServing serves a custom host granted to a
// namespace, then deletes the grant while traffic flows: within 2 s every
// activator stops serving the host (404), and the Route says why
// (HostsClaimed=False, HostNotGranted, naming the host and the namespace).
func TestDomainGrantDeletedStopsServing(t *testing.T) {
	const (
		greeting = "granted"
		rate     = 100
		duration = 8 * time.Second
		deleteAt = 2 * time.Second
		bound    = 2 * time.Second
	)
	ns := newNamespace(t, "grant")
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	host := "shop-" + hex.EncodeToString(b) + ".granted.test"
	g := grantDomains(t, ns, host)
	// The controller reports the grant applied (it may write its status).
	testutil.Eventually(t, time.Minute, "domain grant Ready", func(ctx context.Context) error {
		got := &servingv1alpha1.DomainGrant{}
		if err := suite.client.Get(ctx, client.ObjectKeyFromObject(g), got); err != nil {
			return err
		}
		return conditionIs(got.Generation, got.Status.Status, apis.ConditionReady, corev1.ConditionTrue)
	})
	create(t, newFunction(ns, "shop", "hello", withGreeting(greeting), withScaleBounds(1, 1)))
	create(t, newRoute(ns, "shop", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "shop", Percent: 100}))
	waitRouteCondition(t, ns, "shop", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)
	waitServing(t, host, bodyIs(greeting))
	requireAll(t, "warm-up over both activators", getAllVia(freshConnClient(), host, 40), http.StatusOK, bodyIs(greeting))

	var deleted time.Time
	rs := steadyLoad(freshConnClient(), host, rate, duration, func(ctx context.Context) {
		if !poll.Sleep(ctx, deleteAt) {
			return
		}
		deleted = time.Now()
		if err := suite.client.Delete(ctx, g); err != nil {
			t.Errorf("delete domain grant %s: %v", g.Name, err)
		}
	})
	if t.Failed() || deleted.IsZero() {
		t.FailNow()
	}

	served := func(r response) bool { return r.err == nil && r.code == http.StatusOK && r.body == greeting+"\n" }
	notServed := func(r response) bool { return r.err == nil && r.code == http.StatusNotFound }
	start := deleted.Add(-deleteAt) // about the load's start
	var lastServed, firstRefused time.Time
	for _, r := range rs {
		sent := start.Add(r.sent)
		switch {
		case served(r.response):
			if r.done.After(lastServed) {
				lastServed = r.done
			}
		case notServed(r.response):
			if sent.After(deleted) && (firstRefused.IsZero() || r.done.Before(firstRefused)) {
				firstRefused = r.done
			}
		default:
			t.Errorf("request sent at %s: %s, want 200 %q or 404", r.sent.Round(time.Millisecond), r, greeting)
		}
		if sent.Before(deleted) && !served(r.response) {
			t.Errorf("request sent at %s, before the grant was deleted: %s", r.sent.Round(time.Millisecond), r)
		}
		if sent.After(deleted.Add(bound)) && !notServed(r.response) {
			t.Errorf("request sent at %s, %s after the grant was deleted: %s, want 404", r.sent.Round(time.Millisecond), sent.Sub(deleted).Round(time.Millisecond), r)
		}
	}
	stopped := lastServed.Sub(deleted)
	t.Logf("%d requests at %d/s; grant deleted at %s; first 404 %s after it, last 200 answered %s after it",
		len(rs), rate, deleteAt, firstRefused.Sub(deleted).Round(time.Millisecond), stopped.Round(time.Millisecond))
	if stopped > bound {
		t.Errorf("the host was still served %s after its grant was deleted, want at most %s", stopped.Round(time.Millisecond), bound)
	}

	rt := waitRouteCondition(t, ns, "shop", servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse, time.Minute)
	c := condition(rt.Status.Conditions, servingv1alpha1.RouteConditionHostsClaimed)
	if c.Reason != servingv1alpha1.ReasonHostNotGranted || !strings.Contains(c.Message, host) || !strings.Contains(c.Message, ns) {
		t.Errorf("HostsClaimed = False %s: %q, want reason %s naming host %s and namespace %s", c.Reason, c.Message, servingv1alpha1.ReasonHostNotGranted, host, ns)
	}
	if err := suite.client.Get(context.Background(), client.ObjectKeyFromObject(g), &servingv1alpha1.DomainGrant{}); err == nil {
		t.Errorf("domain grant %s still exists", g.Name)
	}
}
