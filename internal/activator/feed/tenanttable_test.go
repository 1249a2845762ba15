package feed

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/tenancy"
)

// TestTenantTable: every request limit of the resolution reaches the data
// plane's table, for the governed namespaces and the defaults.
func TestTenantTable(t *testing.T) {
	r := &tenancy.Result{
		Defaults: servingv1alpha1.TenantLimitsInForce{MaxInFlight: 1, MaxHeldRequests: 2, RequestsPerSecond: 3, Burst: 4, MaxPods: 5},
		Limits: map[string]servingv1alpha1.TenantLimitsInForce{
			"a": {MaxInFlight: 6, MaxHeldRequests: 7, RequestsPerSecond: 8, Burst: 9, MaxScaleUpPerMinute: 10},
		},
	}
	want := &tenant.Table{
		Default:    tenant.Limits{MaxInFlight: 1, MaxHeldRequests: 2, RequestsPerSecond: 3, Burst: 4},
		Namespaces: map[string]tenant.Limits{"a": {MaxInFlight: 6, MaxHeldRequests: 7, RequestsPerSecond: 8, Burst: 9}},
	}
	if diff := cmp.Diff(want, TenantTable(r)); diff != "" {
		t.Errorf("TenantTable (-want +got):\n%s", diff)
	}
}
