package kube

import (
	"context"
	"fmt"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/testutil"
)

// TestTenantPolicyCapsPods: a TenantPolicy's maxPods, resolved from the
// cache, denies a second revision of the namespace its pod, the Revision
// says so, and deleting the policy lets the next poke wake it. The scaler
// never ticks: the poke path enforces the limit on its own.
func TestTenantPolicyCapsPods(t *testing.T) {
	if decider.ReasonTenantQuotaExceeded != servingv1alpha1.ReasonTenantQuotaExceeded {
		t.Fatalf("decider and API reasons differ: %q, %q", decider.ReasonTenantQuotaExceeded, servingv1alpha1.ReasonTenantQuotaExceeded)
	}
	c := apiClient(t)
	ns := namespace(t, c)
	var nsObj corev1.Namespace
	if err := c.Get(t.Context(), client.ObjectKey{Name: ns}, &nsObj); err != nil {
		t.Fatal(err)
	}
	nsObj.Labels = map[string]string{"tenant-test": ns}
	if err := c.Update(t.Context(), &nsObj); err != nil {
		t.Fatal(err)
	}
	policy := &servingv1alpha1.TenantPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: "pods-" + ns},
		Spec: servingv1alpha1.TenantPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"tenant-test": ns}},
			Limits:            servingv1alpha1.TenantLimits{MaxPods: ptr.To[int32](1)},
		},
	}
	if err := c.Create(t.Context(), policy); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), policy) })
	first := types.NamespacedName{Namespace: ns, Name: "first-00001"}
	second := types.NamespacedName{Namespace: ns, Name: "second-00001"}
	for _, k := range []types.NamespacedName{first, second} {
		createRevision(t, c, ns, k.Name, &servingv1alpha1.Scaling{InitialScale: ptr.To[int32](0)}, 0)
	}
	s := startStack(t, stackOptions{namespace: ns, tickInterval: time.Hour})
	testutil.Eventually(t, wait, "the autoscaler tracks the revisions", s.tracking(t, 2))
	a := dial(t, s)

	a.poke(first)
	testutil.Eventually(t, wait, "the first revision woke", scaledTo(t, c, first, 1))
	a.poke(second)
	testutil.Eventually(t, wait, "the second revision shows it is denied", func(context.Context) error {
		st := revisionStatus(t, c, second)
		if st.Autoscaler == nil || st.Autoscaler.Reason != servingv1alpha1.ReasonTenantQuotaExceeded {
			return fmt.Errorf("status.autoscaler = %+v, want reason %s", st.Autoscaler, servingv1alpha1.ReasonTenantQuotaExceeded)
		}
		return nil
	})
	if got := scaleOf(t, c, ns, second.Name); got != 0 {
		t.Errorf("the denied revision's scale = %d, want 0", got)
	}
	if got := s.metric(t, "wake_autoscaler_tenant_capped_revisions"); got != 1 {
		t.Errorf("wake_autoscaler_tenant_capped_revisions = %v, want 1", got)
	}

	if err := c.Delete(t.Context(), policy); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, wait, "the second revision wakes once the policy is gone", func(ctx context.Context) error {
		a.poke(second)
		return scaledTo(t, c, second, 1)(ctx)
	})
}
