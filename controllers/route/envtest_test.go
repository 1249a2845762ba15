package route

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// The envtest scenarios run the real reconciler, with its watches and
// indexes, against a real API server (see main_test.go).

func TestEnvRouteResolvesTraffic(t *testing.T) {
	ns := newNamespace(t)
	createFunction(t, ns, "hello", "hello-00002")
	createRevision(t, ns, "hello", "hello-00001", true)
	host := "api." + ns + ".example.org"
	rt := createRoute(t, ns, "api", []string{host},
		fixture.ToFunction("hello", 90, ""),
		fixture.ToRevision("hello-00001", 10, "stable"))
	key := client.ObjectKeyFromObject(rt)

	testutil.Eventually(t, testenv.Timeout, "route ready", func(ctx context.Context) error {
		return routeCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
	got := getRoute(t, key)
	want := []servingv1alpha1.ResolvedTarget{
		{FunctionName: "hello", RevisionName: "hello-00002", Percent: 90},
		{RevisionName: "hello-00001", Percent: 10, Tag: "stable", URL: &apis.URL{Scheme: "http", Host: "stable-" + host}},
	}
	if diff := cmp.Diff([]servingv1alpha1.RuleStatus{{Traffic: want}}, got.Status.Rules); diff != "" {
		t.Errorf("status.rules (-want +got):\n%s", diff)
	}
	if got.Status.URL.String() != "http://"+host {
		t.Errorf("status.url = %s, want http://%s", got.Status.URL, host)
	}
}

func TestEnvMissingFunctionThenCreated(t *testing.T) {
	ns := newNamespace(t)
	rt := createRoute(t, ns, "api", []string{"missing." + ns + ".example.org"},
		fixture.ToFunction("nope", 100, ""))
	key := client.ObjectKeyFromObject(rt)
	testutil.Eventually(t, testenv.Timeout, "traffic missing", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionAllTrafficAssigned, corev1.ConditionFalse,
			servingv1alpha1.ReasonRevisionMissing, `function "nope" not found`)
	})

	// The Function watch brings the Route back once the Function is ready.
	createFunction(t, ns, "nope", "nope-00001")
	testutil.Eventually(t, testenv.Timeout, "route ready after the function appears", func(ctx context.Context) error {
		return routeCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
}

func TestEnvPinnedRevisionBecomesReady(t *testing.T) {
	ns := newNamespace(t)
	createRevision(t, ns, "hello", "hello-00001", false)
	rt := createRoute(t, ns, "api", []string{"pinned." + ns + ".example.org"},
		fixture.ToRevision("hello-00001", 100, ""))
	key := client.ObjectKeyFromObject(rt)
	testutil.Eventually(t, testenv.Timeout, "traffic not ready", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionAllTrafficAssigned, corev1.ConditionUnknown,
			servingv1alpha1.ReasonRevisionNotReady, "")
	})

	// The Revision watch brings the Route back once the Revision is ready.
	setRevisionReady(t, types.NamespacedName{Namespace: ns, Name: "hello-00001"})
	testutil.Eventually(t, testenv.Timeout, "route ready after the revision", func(ctx context.Context) error {
		return routeCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
}

func TestEnvHostClaimsAcrossNamespaces(t *testing.T) {
	nsOld, nsNew := newNamespace(t), newNamespace(t)
	createFunction(t, nsOld, "hello", "hello-00001")
	createFunction(t, nsNew, "hello", "hello-00001")
	host := "shared-" + nsOld + ".example.org"

	older := createRoute(t, nsOld, "first", []string{host}, fixture.ToFunction("hello", 100, ""))
	olderKey := client.ObjectKeyFromObject(older)
	testutil.Eventually(t, testenv.Timeout, "older route ready", func(ctx context.Context) error {
		return routeCondition(ctx, olderKey, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
	waitYounger(t, olderKey)

	newer := createRoute(t, nsNew, "second", []string{host}, fixture.ToFunction("hello", 100, ""))
	newerKey := client.ObjectKeyFromObject(newer)
	msg := fmt.Sprintf("host %q is held by Route %s", host, olderKey)
	testutil.Eventually(t, testenv.Timeout, "newer route refused", func(ctx context.Context) error {
		return routeCondition(ctx, newerKey, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostTaken, msg)
	})
	testutil.Eventually(t, testenv.Timeout, "warning event on the newer route", func(ctx context.Context) error {
		return hasEvent(ctx, newerKey, corev1.EventTypeWarning, servingv1alpha1.ReasonHostTaken)
	})
	if err := routeCondition(context.Background(), olderKey, apis.ConditionReady, corev1.ConditionTrue, "", ""); err != nil {
		t.Errorf("older route: %v", err)
	}

	// Deleting the holder hands the host to the next oldest claimant.
	if err := k8s.Delete(context.Background(), older); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "newer route ready after the older is deleted", func(ctx context.Context) error {
		return routeCondition(ctx, newerKey, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
}

func TestEnvCrossNamespaceFunctionHostRefused(t *testing.T) {
	ns, victim := newNamespace(t), newNamespace(t)
	createFunction(t, ns, "hello", "hello-00001")
	host := "hello." + victim + ".example.com" // the default domain is example.com
	rt := createRoute(t, ns, "steal", []string{host}, fixture.ToFunction("hello", 100, ""))
	testutil.Eventually(t, testenv.Timeout, "route refused", func(ctx context.Context) error {
		return routeCondition(ctx, client.ObjectKeyFromObject(rt), servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostTaken, fmt.Sprintf("host %q belongs to namespace %q", host, victim))
	})
}
