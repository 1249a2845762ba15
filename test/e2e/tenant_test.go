//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// governNamespace labels namespace ns with a label of its own and creates
// a TenantPolicy, named after it, that selects it with limits. The policy is
// cluster-scoped, so it is deleted when the test ends (the namespace's
// deletion would not take it).
func governNamespace(t *testing.T, ns string, limits servingv1alpha1.TenantLimits) *servingv1alpha1.TenantPolicy {
	t.Helper()
	ctx := context.Background()
	const label = "e2e.wake.dev/tenant"
	nsObj := &corev1.Namespace{}
	if err := suite.client.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(nsObj.DeepCopy())
	if nsObj.Labels == nil {
		nsObj.Labels = map[string]string{}
	}
	nsObj.Labels[label] = ns
	if err := suite.client.Patch(ctx, nsObj, patch); err != nil {
		t.Fatal(err)
	}
	policy := &servingv1alpha1.TenantPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "e2e-" + ns},
		Spec: servingv1alpha1.TenantPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{label: ns}},
			Limits:            limits,
		},
	}
	create(t, policy)
	t.Cleanup(func() {
		if err := suite.client.Delete(ctx, policy); err != nil && !apierrors.IsNotFound(err) {
			t.Errorf("delete tenant policy %s: %v", policy.Name, err)
		}
	})
	return policy
}

// TestTenantHeldRequests: a TenantPolicy with maxHeldRequests 2 (one per
// activator) lets a namespace hold at most 2 requests for its function
// waking from zero, over both activators together: of 8 sent at once on
// fresh connections, at most 2 are held and served once the pod is up, and
// every other is answered 429 at once with Retry-After and
// "Wake-Limit: tenant-held-requests".
func TestTenantHeldRequests(t *testing.T) {
	ns := newNamespace(t, "tenantheld")
	// The policy first: the activators have it long before the function
	// is Ready.
	governNamespace(t, ns, servingv1alpha1.TenantLimits{MaxHeldRequests: ptr.To[int32](2)})
	atZero := func(fn *servingv1alpha1.Function) { scaling(fn).InitialScale = ptr.To[int32](0) }
	create(t, newFunction(ns, "cold", "slowstart", withEnv("START_DELAY", "3s"), atZero, withTimeout(60)))
	waitFunctionReady(t, ns, "cold", time.Minute)

	rs := make([]response, 8)
	sent := time.Now()
	var wg sync.WaitGroup
	for i := range rs {
		wg.Go(func() { rs[i] = getVia(freshConnClient(), time.Minute, functionHost(ns, "cold"), "/") })
	}
	wg.Wait()
	served, refused := 0, 0
	for _, r := range rs {
		switch {
		case r.err == nil && r.code == http.StatusOK:
			served++
		case r.err == nil && r.code == http.StatusTooManyRequests:
			refused++
			if r.header.Get("Wake-Limit") != "tenant-held-requests" || r.header.Get("Retry-After") == "" {
				t.Errorf("429 with Wake-Limit %q, Retry-After %q; want tenant-held-requests and a Retry-After", r.header.Get("Wake-Limit"), r.header.Get("Retry-After"))
			}
			if r.done.Sub(sent) > 2*time.Second {
				t.Errorf("a refusal took %s: it must not wait for the cold start", r.done.Sub(sent))
			}
		default:
			t.Errorf("unexpected answer: %s", r)
		}
	}
	t.Logf("8 requests at a function at zero: %d held and served, %d refused", served, refused)
	if served < 1 || served > 2 {
		t.Errorf("%d requests held and served, want 1 or 2 (one per activator at most)", served)
	}
}
