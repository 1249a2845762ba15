package tenantpolicy

import (
	"slices"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
)

// TestFingerprint: every change tenancy.Resolve would see changes the
// fingerprint, and nothing else does, so a memoized resolution is reused
// exactly while it is right.
func TestFingerprint(t *testing.T) {
	base := func() ([]servingv1alpha1.TenantPolicy, []metav1.PartialObjectMetadata, config.Tenant) {
		ps := []servingv1alpha1.TenantPolicy{
			*fixture.TenantPolicy("free", fixture.WithNamespaceLabel("tier", "free"), fixture.WithPolicyCreated(time.Hour)),
			*fixture.TenantPolicy("paid", fixture.WithNamespaceLabel("tier", "paid"), fixture.WithPolicyCreated(time.Minute)),
		}
		ns := []metav1.PartialObjectMetadata{
			{ObjectMeta: metav1.ObjectMeta{Name: "a", ResourceVersion: "10", Labels: map[string]string{"tier": "free"}}},
			{ObjectMeta: metav1.ObjectMeta{Name: "b", ResourceVersion: "11"}},
		}
		return ps, ns, config.Tenant{MaxPods: 5}
	}
	ps0, ns0, d0 := base()
	want := Fingerprint(ps0, ns0, d0)

	tests := []struct {
		name    string
		change  func(ps *[]servingv1alpha1.TenantPolicy, ns *[]metav1.PartialObjectMetadata, d *config.Tenant)
		changed bool
	}{
		{"nothing", func(*[]servingv1alpha1.TenantPolicy, *[]metav1.PartialObjectMetadata, *config.Tenant) {}, false},
		{"lists in another order", func(ps *[]servingv1alpha1.TenantPolicy, ns *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			slices.Reverse(*ps)
			slices.Reverse(*ns)
		}, false},
		{"a policy's status", func(ps *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			(*ps)[0].Status.NamespaceCount = 7
			(*ps)[0].ResourceVersion = "99"
		}, false},
		{"a policy's selector", func(ps *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			(*ps)[0].Spec.NamespaceSelector.MatchLabels["tier"] = "gold"
		}, true},
		{"a policy's limit", func(ps *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			(*ps)[1].Spec.Limits.MaxPods = ptr.To[int32](3)
		}, true},
		{"a policy's age", func(ps *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			(*ps)[1].CreationTimestamp = metav1.NewTime(fixture.Epoch.Add(2 * time.Hour))
		}, true},
		{"a policy recreated under its name", func(ps *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			(*ps)[1].UID = "new"
		}, true},
		{"a policy deleted", func(ps *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			*ps = (*ps)[:1]
		}, true},
		{"a namespace changed (its labels)", func(_ *[]servingv1alpha1.TenantPolicy, ns *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			(*ns)[1].ResourceVersion = "12"
		}, true},
		{"a namespace created", func(_ *[]servingv1alpha1.TenantPolicy, ns *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			*ns = append(*ns, metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Name: "c", ResourceVersion: "13"}})
		}, true},
		{"a namespace deleted", func(_ *[]servingv1alpha1.TenantPolicy, ns *[]metav1.PartialObjectMetadata, _ *config.Tenant) {
			*ns = (*ns)[:1]
		}, true},
		{"the defaults", func(_ *[]servingv1alpha1.TenantPolicy, _ *[]metav1.PartialObjectMetadata, d *config.Tenant) {
			d.MaxInFlight = 40
		}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ps, ns, d := base()
			tt.change(&ps, &ns, &d)
			if got := Fingerprint(ps, ns, d); (got != want) != tt.changed {
				t.Errorf("fingerprint changed = %v, want %v", got != want, tt.changed)
			}
		})
	}
}
