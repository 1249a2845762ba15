//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// TestTenantMaxPods: a TenantPolicy gives a namespace one pod. Of two
// functions at zero, the first wakes (200); the second is denied its pod:
// its Revision shows TenantQuotaExceeded (status.autoscaler.reason and
// PodsCreated=False) while it stays Ready, and its request is held, then
// answered 504 once the revision's timeoutSeconds pass. Deleting the
// policy lets the second wake on its next request.
func TestTenantMaxPods(t *testing.T) {
	ctx := context.Background()
	ns := newNamespace(t, "tenantpods")
	policy := governNamespace(t, ns, servingv1alpha1.TenantLimits{MaxPods: ptr.To[int32](1)})
	const timeout = 8 // seconds a held request waits for the denied revision
	atZero := func(fn *servingv1alpha1.Function) { scaling(fn).InitialScale = ptr.To[int32](0) }
	create(t, newFunction(ns, "first", "hello", withGreeting("first"), atZero))
	create(t, newFunction(ns, "second", "hello", withGreeting("second"), atZero, withTimeout(timeout)))
	waitFunctionReady(t, ns, "first", time.Minute)
	waitFunctionReady(t, ns, "second", time.Minute)

	if r := get(functionHost(ns, "first"), "/"); r.err != nil || r.code != http.StatusOK || r.body != "first\n" {
		t.Fatalf("first function: %s, want 200 %q", r, "first")
	}

	held := make(chan response, 1)
	sent := time.Now()
	go func() { held <- get(functionHost(ns, "second"), "/") }()
	key := client.ObjectKey{Namespace: ns, Name: "second-00001"}
	testutil.Eventually(t, time.Duration(timeout)*time.Second, "the second revision shows it is denied its pod", func(ctx context.Context) error {
		rev := &servingv1alpha1.Revision{}
		if err := suite.client.Get(ctx, key, rev); err != nil {
			return err
		}
		if a := rev.Status.Autoscaler; a == nil || a.Reason != servingv1alpha1.ReasonTenantQuotaExceeded {
			return fmt.Errorf("status.autoscaler %+v", a)
		}
		return podsCreated(ctx, key, func(c *apis.Condition, ready bool) error {
			if c == nil || !c.IsFalse() || c.Reason != servingv1alpha1.ReasonTenantQuotaExceeded || !ready {
				return fmt.Errorf("PodsCreated %+v, Ready %v", c, ready)
			}
			return nil
		})
	})
	r := <-held
	waited := r.done.Sub(sent)
	if r.err != nil || r.code != http.StatusGatewayTimeout {
		t.Errorf("request held for the denied revision: %s, want 504 after %d s", r, timeout)
	}
	t.Logf("request held for the denied revision answered %d after %v", r.code, waited.Round(100*time.Millisecond))
	if got := scaleOfDeployment(t, ns, "second-00001"); got != 0 {
		t.Errorf("denied revision's Deployment wants %d pods, want 0", got)
	}

	if err := suite.client.Delete(ctx, policy); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 30*time.Second, "the second function wakes once the policy is gone", func(context.Context) error {
		if r := getWithin(15*time.Second, functionHost(ns, "second"), "/"); r.err != nil || r.code != http.StatusOK || r.body != "second\n" {
			return fmt.Errorf("%s", r)
		}
		return nil
	})
}

// scaleOfDeployment returns a Deployment's spec.replicas.
func scaleOfDeployment(t *testing.T, ns, name string) int32 {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
		t.Fatal(err)
	}
	return ptr.Deref(d.Spec.Replicas, 1)
}
