//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// TestNewRevisionSplitAndTag rolls a Function from the hello image to the
// podname image, checks that this made a second Revision that now serves the
// Function's URL, then splits a Route 50/50 between the two revisions and
// checks the split over 400 requests and both tag hosts, and finally rolls
// back by pointing all of the Route's traffic at the first revision.
func TestNewRevisionSplitAndTag(t *testing.T) {
	ns := newNamespace(t, "split")
	const greeting = "first"
	create(t, newFunction(ns, "ab", "hello", withGreeting(greeting)))
	waitFunctionReady(t, ns, "ab", 2*time.Minute)
	fnHost := functionHost(ns, "ab")
	waitServing(t, fnHost, bodyIs(greeting))

	// The podname image answers with its pod's name, which starts with the
	// revision's (the Deployment's) name.
	isFirst := bodyIs(greeting)
	isSecond := func(b string) bool { return strings.HasPrefix(b, "ab-00002-") }
	fn := &servingv1alpha1.Function{}
	if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "ab"}, fn); err != nil {
		t.Fatal(err)
	}
	fn.Spec.Template.Spec.Containers[0].Image = testImage("podname")
	if err := suite.client.Update(context.Background(), fn); err != nil {
		t.Fatalf("update function image: %v", err)
	}
	fn = waitFunctionReady(t, ns, "ab", 2*time.Minute)
	if fn.Status.LatestCreatedRevisionName != "ab-00002" || fn.Status.LatestReadyRevisionName != "ab-00002" {
		t.Fatalf("after the image change: latestCreated=%q latestReady=%q, want ab-00002 for both",
			fn.Status.LatestCreatedRevisionName, fn.Status.LatestReadyRevisionName)
	}
	waitServing(t, fnHost, isSecond)
	requireAll(t, "function URL after rollout", getAll(fnHost, "/", 20, 4), http.StatusOK, isSecond)

	host := "split." + ns + "." + suite.domain
	create(t, newRoute(ns, "split", []string{host},
		servingv1alpha1.TrafficTarget{RevisionName: "ab-00001", Percent: 50, Tag: "one"},
		servingv1alpha1.TrafficTarget{FunctionName: "ab", Percent: 50, Tag: "two"},
	))
	waitRouteCondition(t, ns, "split", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)
	waitServing(t, host, nil)

	const n = 400
	rs := getAll(host, "/", n, 8)
	requireAll(t, "split", rs, http.StatusOK, func(b string) bool { return isFirst(b) || isSecond(b) })
	first := 0
	for _, r := range rs {
		if isFirst(r.body) {
			first++
		}
	}
	second := n - first
	t.Logf("50/50 split over %d requests: ab-00001 %d (%.1f%%), ab-00002 %d (%.1f%%)",
		n, first, 100*float64(first)/n, second, 100*float64(second)/n)
	for name, got := range map[string]int{"ab-00001": first, "ab-00002": second} {
		if got < n*40/100 || got > n*60/100 {
			t.Errorf("%s got %d of %d requests, want 40%%-60%%", name, got, n)
		}
	}

	tags := []struct {
		tag  string
		body func(string) bool
	}{
		{tag: "one", body: isFirst},
		{tag: "two", body: isSecond},
	}
	for _, tc := range tags {
		t.Run("tag "+tc.tag, func(t *testing.T) {
			tagHost := tc.tag + "-" + host
			waitServing(t, tagHost, nil)
			requireAll(t, tagHost, getAll(tagHost, "/", 40, 4), http.StatusOK, tc.body)
		})
	}

	// Roll back: all traffic to the first revision.
	rt := &servingv1alpha1.Route{}
	if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "split"}, rt); err != nil {
		t.Fatal(err)
	}
	rt.Spec.Rules[0].Traffic = []servingv1alpha1.TrafficTarget{{RevisionName: "ab-00001", Percent: 100}}
	if err := suite.client.Update(context.Background(), rt); err != nil {
		t.Fatalf("roll back the route: %v", err)
	}
	waitServing(t, host, isFirst)
	requireAll(t, "route after rollback", getAll(host, "/", 40, 4), http.StatusOK, isFirst)
}
