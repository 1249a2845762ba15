//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
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

	// An activator that has not yet seen the Function answers 404 "no
	// route for host" before any limit applies; such a request is sent
	// again (the routing table follows the Function within moments).
	rs := make([]response, 8)
	sentAt := make([]time.Time, len(rs))
	start := time.Now()
	var wg sync.WaitGroup
	for i := range rs {
		wg.Go(func() {
			for {
				sentAt[i] = time.Now()
				rs[i] = getVia(freshConnClient(), time.Minute, functionHost(ns, "cold"), "/")
				if rs[i].code != http.StatusNotFound || !strings.Contains(rs[i].body, "no route for host") || time.Since(start) > 10*time.Second {
					return
				}
				time.Sleep(pollInterval)
			}
		})
	}
	wg.Wait()
	served, refused := 0, 0
	for i, r := range rs {
		switch {
		case r.err == nil && r.code == http.StatusOK:
			served++
		case r.err == nil && r.code == http.StatusTooManyRequests:
			refused++
			if r.header.Get("Wake-Limit") != "tenant-held-requests" || r.header.Get("Retry-After") == "" {
				t.Errorf("429 with Wake-Limit %q, Retry-After %q; want tenant-held-requests and a Retry-After", r.header.Get("Wake-Limit"), r.header.Get("Retry-After"))
			}
			if r.done.Sub(sentAt[i]) > 2*time.Second {
				t.Errorf("a refusal took %s: it must not wait for the cold start", r.done.Sub(sentAt[i]))
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

// TestTenantScaleUpPerMinute: a TenantPolicy with maxScaleUpPerMinute 1
// lets the autoscaler add one pod to the namespace in any minute. Of two
// functions at zero, the first wakes at once; the second's request is held
// while its Revision shows TenantQuotaExceeded, and is served once a
// minute has passed since the first pod was added, not before.
func TestTenantScaleUpPerMinute(t *testing.T) {
	ns := newNamespace(t, "tenantscaleup")
	governNamespace(t, ns, servingv1alpha1.TenantLimits{MaxScaleUpPerMinute: ptr.To[int32](1)})
	atZero := func(fn *servingv1alpha1.Function) { scaling(fn).InitialScale = ptr.To[int32](0) }
	create(t, newFunction(ns, "first", "hello", withGreeting("first"), atZero))
	create(t, newFunction(ns, "second", "hello", withGreeting("second"), atZero, withTimeout(120)))
	waitFunctionReady(t, ns, "first", time.Minute)
	waitFunctionReady(t, ns, "second", time.Minute)

	firstAdded := time.Now() // the first request asks for the namespace's pod of this minute
	if r := get(functionHost(ns, "first"), "/"); r.err != nil || r.code != http.StatusOK || r.body != "first\n" {
		t.Fatalf("first function: %s, want 200 %q", r, "first")
	}
	held := make(chan response, 1)
	go func() { held <- getVia(freshConnClient(), 2*time.Minute, functionHost(ns, "second"), "/") }()
	key := client.ObjectKey{Namespace: ns, Name: "second-00001"}
	testutil.Eventually(t, 30*time.Second, "the second revision shows it waits for the namespace's scale-up budget", func(ctx context.Context) error {
		rev := &servingv1alpha1.Revision{}
		if err := suite.client.Get(ctx, key, rev); err != nil {
			return err
		}
		if a := rev.Status.Autoscaler; a == nil || a.Reason != servingv1alpha1.ReasonTenantQuotaExceeded {
			return fmt.Errorf("status.autoscaler %+v", a)
		}
		return nil
	})
	r := <-held
	after := r.done.Sub(firstAdded)
	t.Logf("the second function answered %d, %v after the first pod was asked for", r.code, after.Round(100*time.Millisecond))
	if r.err != nil || r.code != http.StatusOK || r.body != "second\n" {
		t.Fatalf("second function: %s, want 200 %q once the minute passed", r, "second")
	}
	if after < 55*time.Second {
		t.Errorf("the second pod came %v after the first, want a minute", after)
	}
}
