package tenancy

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

func policy(name string, age time.Duration, sel map[string]string, l servingv1alpha1.TenantLimits) servingv1alpha1.TenantPolicy {
	return servingv1alpha1.TenantPolicy{
		ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(-age))},
		Spec:       servingv1alpha1.TenantPolicySpec{NamespaceSelector: metav1.LabelSelector{MatchLabels: sel}, Limits: l},
	}
}

func TestResolve(t *testing.T) {
	nss := []Namespace{
		{Name: "a", Labels: map[string]string{"tier": "free"}},
		{Name: "b", Labels: map[string]string{"tier": "free", "team": "x"}},
		{Name: "c", Labels: map[string]string{"tier": "paid"}},
		{Name: "d"},
	}
	defaults := config.Tenant{MaxInFlight: 1000, MaxPods: 50}
	free := servingv1alpha1.TenantLimits{MaxInFlight: ptr.To[int32](10), RequestsPerSecond: ptr.To[int32](5)}
	team := servingv1alpha1.TenantLimits{MaxPods: ptr.To[int32](3)}
	freeIn := servingv1alpha1.TenantLimitsInForce{MaxInFlight: 10, RequestsPerSecond: 5, Burst: 5, MaxPods: 50}
	teamIn := servingv1alpha1.TenantLimitsInForce{MaxInFlight: 1000, MaxPods: 3}
	dflt := servingv1alpha1.TenantLimitsInForce{MaxInFlight: 1000, MaxPods: 50}

	tests := []struct {
		name       string
		policies   []servingv1alpha1.TenantPolicy
		governing  map[string]string
		limits     map[string]servingv1alpha1.TenantLimitsInForce
		overlapped map[string][]string
		invalid    []string
	}{
		{name: "no policy: defaults everywhere", governing: map[string]string{}, limits: map[string]servingv1alpha1.TenantLimitsInForce{}, overlapped: map[string][]string{}},
		{
			name:       "label selector",
			policies:   []servingv1alpha1.TenantPolicy{policy("free", time.Hour, map[string]string{"tier": "free"}, free)},
			governing:  map[string]string{"a": "free", "b": "free"},
			limits:     map[string]servingv1alpha1.TenantLimitsInForce{"a": freeIn, "b": freeIn},
			overlapped: map[string][]string{},
		},
		{
			name: "the older policy governs a namespace both select",
			policies: []servingv1alpha1.TenantPolicy{
				policy("team", time.Minute, map[string]string{"team": "x"}, team),
				policy("free", time.Hour, map[string]string{"tier": "free"}, free),
			},
			governing:  map[string]string{"a": "free", "b": "free"},
			limits:     map[string]servingv1alpha1.TenantLimitsInForce{"a": freeIn, "b": freeIn},
			overlapped: map[string][]string{"team": {"b"}},
		},
		{
			name: "same age: the first by name governs",
			policies: []servingv1alpha1.TenantPolicy{
				policy("z-free", time.Hour, map[string]string{"tier": "free"}, free),
				policy("a-team", time.Hour, map[string]string{"team": "x"}, team),
			},
			governing:  map[string]string{"a": "z-free", "b": "a-team"},
			limits:     map[string]servingv1alpha1.TenantLimitsInForce{"a": freeIn, "b": teamIn},
			overlapped: map[string][]string{"z-free": {"b"}},
		},
		{
			name:       "the empty selector selects every namespace",
			policies:   []servingv1alpha1.TenantPolicy{policy("all", time.Hour, nil, team)},
			governing:  map[string]string{"a": "all", "b": "all", "c": "all", "d": "all"},
			limits:     map[string]servingv1alpha1.TenantLimitsInForce{"a": teamIn, "b": teamIn, "c": teamIn, "d": teamIn},
			overlapped: map[string][]string{},
		},
		{
			name: "an invalid selector selects nothing",
			policies: []servingv1alpha1.TenantPolicy{{
				ObjectMeta: metav1.ObjectMeta{Name: "bad"},
				Spec: servingv1alpha1.TenantPolicySpec{NamespaceSelector: metav1.LabelSelector{
					MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "tier", Operator: "Near"}},
				}},
			}},
			governing:  map[string]string{},
			limits:     map[string]servingv1alpha1.TenantLimitsInForce{},
			overlapped: map[string][]string{},
			invalid:    []string{"bad"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := Resolve(tt.policies, nss, defaults)
			if diff := cmp.Diff(tt.governing, r.Governing); diff != "" {
				t.Errorf("governing (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.limits, r.Limits); diff != "" {
				t.Errorf("limits (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.overlapped, r.Overlapped); diff != "" {
				t.Errorf("overlapped (-want +got):\n%s", diff)
			}
			var invalid []string
			for name := range r.Invalid {
				invalid = append(invalid, name)
			}
			if diff := cmp.Diff(tt.invalid, invalid); diff != "" {
				t.Errorf("invalid (-want +got):\n%s", diff)
			}
			for _, ns := range nss {
				want, ok := tt.limits[ns.Name]
				if !ok {
					want = dflt
				}
				if got := r.For(ns.Name); got != want {
					t.Errorf("For(%s) = %+v, want %+v", ns.Name, got, want)
				}
			}
		})
	}
}

func TestGoverned(t *testing.T) {
	r := Resolve([]servingv1alpha1.TenantPolicy{policy("p", 0, nil, servingv1alpha1.TenantLimits{})},
		[]Namespace{{Name: "b"}, {Name: "a"}}, config.Tenant{})
	if diff := cmp.Diff([]string{"a", "b"}, r.Governed("p")); diff != "" {
		t.Errorf("Governed (-want +got):\n%s", diff)
	}
	if got := r.Governed("other"); got != nil {
		t.Errorf("Governed(other) = %v, want none", got)
	}
}

func TestInForceBurst(t *testing.T) {
	tests := []struct {
		name     string
		limits   servingv1alpha1.TenantLimits
		defaults config.Tenant
		rps      int32
		burst    int32
	}{
		{"no rate: no burst", servingv1alpha1.TenantLimits{}, config.Tenant{Burst: 9}, 0, 0},
		{"default rate, default burst", servingv1alpha1.TenantLimits{}, config.Tenant{RequestsPerSecond: 5, Burst: 9}, 5, 9},
		{"default rate, burst defaults to it", servingv1alpha1.TenantLimits{}, config.Tenant{RequestsPerSecond: 5}, 5, 5},
		{"policy rate: its burst is the rate, not the default burst", servingv1alpha1.TenantLimits{RequestsPerSecond: ptr.To[int32](20)}, config.Tenant{RequestsPerSecond: 5, Burst: 9}, 20, 20},
		{"policy rate and burst", servingv1alpha1.TenantLimits{RequestsPerSecond: ptr.To[int32](20), Burst: ptr.To[int32](50)}, config.Tenant{}, 20, 50},
		{"policy burst on the default rate", servingv1alpha1.TenantLimits{Burst: ptr.To[int32](50)}, config.Tenant{RequestsPerSecond: 5}, 5, 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := InForce(tt.limits, tt.defaults)
			if got.RequestsPerSecond != tt.rps || got.Burst != tt.burst {
				t.Errorf("rate %d burst %d, want %d and %d", got.RequestsPerSecond, got.Burst, tt.rps, tt.burst)
			}
		})
	}
}
