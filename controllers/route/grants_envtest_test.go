package route

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// The domain-policy scenarios: under "claims" a Route holds a custom host
// only while a DomainGrant gives it to its namespace.

// notGrantedMsg is HostsClaimed's message for one host not granted to ns.
func notGrantedMsg(host, ns string) string {
	return fmt.Sprintf("host %q is not granted to namespace %q: no DomainGrant gives it this host or a wildcard covering it", host, ns)
}

func TestEnvClaimsExactGrant(t *testing.T) {
	useClaims(t)
	ns := newNamespace(t)
	createFunction(t, ns, "hello", "hello-00001")
	host := "shop-" + ns + ".example.org"
	own := "api." + ns + ".example.com" // the namespace's own host under the default domain
	rt := createRoute(t, ns, "shop", []string{own, host}, fixture.ToFunction("hello", 100, ""))
	key := client.ObjectKeyFromObject(rt)

	testutil.Eventually(t, testenv.Timeout, "route refused without a grant", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostNotGranted, notGrantedMsg(host, ns))
	})
	testutil.Eventually(t, testenv.Timeout, "warning event names the missing grant", func(ctx context.Context) error {
		return hasEvent(ctx, key, corev1.EventTypeWarning, servingv1alpha1.ReasonHostNotGranted)
	})

	g := createGrant(t, "exact-"+ns, ns, host)
	testutil.Eventually(t, testenv.Timeout, "route ready once granted", func(ctx context.Context) error {
		return routeCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})

	if err := k8s.Delete(context.Background(), g); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "route refused once the grant is deleted", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostNotGranted, notGrantedMsg(host, ns))
	})
}

func TestEnvClaimsWildcardGrant(t *testing.T) {
	useClaims(t)
	ns := newNamespace(t)
	createFunction(t, ns, "hello", "hello-00001")
	suffix := ns + "-apps.example.org"
	createGrant(t, "wild-"+ns, ns, "*."+suffix)
	// An exact host, a deeper one, a wildcard under the grant and a tag
	// host: all covered by "*.{suffix}".
	rt := createRoute(t, ns, "apps", []string{"a." + suffix, "x.y." + suffix, "*.eu." + suffix},
		fixture.ToFunction("hello", 100, "canary"))
	testutil.Eventually(t, testenv.Timeout, "route ready under a wildcard grant", func(ctx context.Context) error {
		return routeCondition(ctx, client.ObjectKeyFromObject(rt), apis.ConditionReady, corev1.ConditionTrue, "", "")
	})

	// The suffix itself is not covered by the wildcard.
	bare := createRoute(t, ns, "bare", []string{suffix}, fixture.ToFunction("hello", 100, ""))
	testutil.Eventually(t, testenv.Timeout, "the grant's suffix itself is refused", func(ctx context.Context) error {
		return routeCondition(ctx, client.ObjectKeyFromObject(bare), servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostNotGranted, notGrantedMsg(suffix, ns))
	})
}

func TestEnvClaimsTwoNamespacesCompete(t *testing.T) {
	useClaims(t)
	nsA, nsB := newNamespace(t), newNamespace(t)
	createFunction(t, nsA, "hello", "hello-00001")
	createFunction(t, nsB, "hello", "hello-00001")
	host := "contested-" + nsA + ".example.org"

	// A asks first but holds no grant; B, younger, is granted the host.
	older := createRoute(t, nsA, "squat", []string{host}, fixture.ToFunction("hello", 100, ""))
	olderKey := client.ObjectKeyFromObject(older)
	waitYounger(t, olderKey)
	grantB := createGrant(t, "b-"+nsB, nsB, host)
	newer := createRoute(t, nsB, "shop", []string{host}, fixture.ToFunction("hello", 100, ""))
	newerKey := client.ObjectKeyFromObject(newer)

	testutil.Eventually(t, testenv.Timeout, "the granted namespace holds the host", func(ctx context.Context) error {
		return routeCondition(ctx, newerKey, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
	testutil.Eventually(t, testenv.Timeout, "the older ungranted Route is refused", func(ctx context.Context) error {
		return routeCondition(ctx, olderKey, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostNotGranted, notGrantedMsg(host, nsA))
	})

	// Granting A too: both may claim it, the older wins.
	createGrant(t, "a-"+nsA, nsA, "*.example.org")
	testutil.Eventually(t, testenv.Timeout, "older route holds the host once granted", func(ctx context.Context) error {
		return routeCondition(ctx, olderKey, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
	testutil.Eventually(t, testenv.Timeout, "the newer route is refused by age", func(ctx context.Context) error {
		return routeCondition(ctx, newerKey, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostTaken, fmt.Sprintf("host %q is held by Route %s", host, olderKey))
	})

	// Deleting B's grant changes nothing for A; B is now refused for the
	// grant it lacks (reported ahead of the older holder).
	if err := k8s.Delete(context.Background(), grantB); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "newer route refused for its missing grant", func(ctx context.Context) error {
		return routeCondition(ctx, newerKey, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostNotGranted, notGrantedMsg(host, nsB))
	})
	if err := routeCondition(context.Background(), olderKey, apis.ConditionReady, corev1.ConditionTrue, "", ""); err != nil {
		t.Errorf("older route: %v", err)
	}
}

func TestEnvFirstComeNeedsNoGrant(t *testing.T) {
	ns := newNamespace(t)
	createFunction(t, ns, "hello", "hello-00001")
	rt := createRoute(t, ns, "free", []string{"free-" + ns + ".example.org"}, fixture.ToFunction("hello", 100, ""))
	key := client.ObjectKeyFromObject(rt)
	testutil.Eventually(t, testenv.Timeout, "route ready without a grant under first-come", func(ctx context.Context) error {
		return routeCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "", "")
	})
	// Switching the policy re-reconciles the Route: under claims it is
	// refused.
	useClaims(t)
	testutil.Eventually(t, testenv.Timeout, "route refused after the switch to claims", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse,
			servingv1alpha1.ReasonHostNotGranted, notGrantedMsg("free-"+ns+".example.org", ns))
	})
}
