package integration

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// TestActivatorEnforcesTenantPolicy runs a real activator against the API
// server: a TenantPolicy selecting the function's namespace by label limits
// its requests (here the rate: 1 a second), answered 429 with Wake-Limit
// and Retry-After; deleting the policy lifts the limit.
func TestActivatorEnforcesTenantPolicy(t *testing.T) {
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "wake-system"}}); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
	addr := startActivator(t)
	ns := namespace(t, "tenantreq")
	if err := k8s.Create(ctx, sampleFunction(t, ns)); err != nil {
		t.Fatal(err)
	}
	serveRevision(t, ns, "hello-00001", backend(t, "v1"))
	host := "hello." + ns + ".example.com"
	testutil.Eventually(t, waitTimeout, "function host served", expect(addr, "GET", host, "/", http.StatusOK, "v1 GET /"))

	tp := &servingv1alpha1.TenantPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "integration-" + ns},
		Spec: servingv1alpha1.TenantPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"integration/tenant": ns}},
			Limits:            servingv1alpha1.TenantLimits{RequestsPerSecond: ptr.To[int32](1)},
		},
	}
	if err := k8s.Create(ctx, tp); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), tp) })
	nsObj := &corev1.Namespace{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: ns}, nsObj); err != nil {
		t.Fatal(err)
	}
	patch := client.MergeFrom(nsObj.DeepCopy())
	if nsObj.Labels == nil {
		nsObj.Labels = map[string]string{}
	}
	nsObj.Labels["integration/tenant"] = ns
	if err := k8s.Patch(ctx, nsObj, patch); err != nil {
		t.Fatal(err)
	}
	// Back to back: the bucket holds one token, refilled once a second.
	testutil.Eventually(t, waitTimeout, "the second of two requests refused", func(context.Context) error {
		var last *http.Response
		for range 2 {
			req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
			req.Host = host
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				return err
			}
			_ = res.Body.Close()
			last = res
		}
		if last.StatusCode != http.StatusTooManyRequests || last.Header.Get("Wake-Limit") != "tenant-rate" || last.Header.Get("Retry-After") != "1" {
			return fmt.Errorf("second request: %d, Wake-Limit %q, Retry-After %q", last.StatusCode, last.Header.Get("Wake-Limit"), last.Header.Get("Retry-After"))
		}
		return nil
	})

	if err := k8s.Delete(ctx, tp); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, waitTimeout, "no limit once the policy is gone", func(ctx context.Context) error {
		for range 5 {
			if err := expect(addr, "GET", host, "/", http.StatusOK, "v1 GET /")(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}
