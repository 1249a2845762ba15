package validation

import (
	"context"
	"testing"

	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
)

// TestTenantPoliciesAccepted: the edges of TenantPolicy's rules that the
// API server must accept, created and updated unchanged. They are a table
// here, not files under test/testdata/valid, because the e2e suite applies
// those to a shared cluster, where these cluster-scoped policies would
// govern every other test's namespaces. The refusals are files under
// test/testdata/invalid (tenantpolicy-*.yaml).
func TestTenantPoliciesAccepted(t *testing.T) {
	one := ptr.To[int32](1)
	tests := []struct {
		name string
		opts []fixture.TenantPolicyOption
	}{
		{"empty selector, no limits", nil},
		{"every limit at its least", []fixture.TenantPolicyOption{fixture.WithTenantLimits(servingv1alpha1.TenantLimits{
			MaxInFlight: one, MaxHeldRequests: one, RequestsPerSecond: one, Burst: one, MaxPods: one, MaxScaleUpPerMinute: one,
		})}},
		{"rate without burst", []fixture.TenantPolicyOption{fixture.WithTenantLimits(servingv1alpha1.TenantLimits{RequestsPerSecond: ptr.To[int32](50)})}},
		{"burst below the rate", []fixture.TenantPolicyOption{fixture.WithTenantLimits(servingv1alpha1.TenantLimits{RequestsPerSecond: ptr.To[int32](50), Burst: ptr.To[int32](5)})}},
		{"labels and expressions", []fixture.TenantPolicyOption{
			fixture.WithNamespaceLabel("tier", "free"), fixture.WithNamespaceExpression("team", "In", "a", "b"),
		}},
		// Kubernetes' selector rules are not in the schema: the reconciler
		// reports such a selector (Ready False, InvalidSelector).
		{"operator the reconciler refuses", []fixture.TenantPolicyOption{fixture.WithNamespaceExpression("tier", "Near", "free")}},
	}
	ctx := context.Background()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := fixture.TenantPolicy("accepted", tt.opts...)
			if err := k8s.Create(ctx, p); err != nil {
				t.Fatalf("create: %v", err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, p) })
			if err := k8s.Update(ctx, p); err != nil {
				t.Errorf("update unchanged: %v", err)
			}
		})
	}
}
