package tenancy

import (
	"fmt"
	"slices"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
)

// Namespace is what Resolve needs of a namespace.
type Namespace struct {
	// Name is the namespace's name.
	Name string
	// Labels are its labels, which the policies' selectors match.
	Labels map[string]string
}

// Result is the limits of every namespace.
type Result struct {
	// Defaults are the limits of a namespace no policy selects.
	Defaults servingv1alpha1.TenantLimitsInForce
	// Governing maps each namespace some policy selects to the name of
	// the policy that governs it.
	Governing map[string]string
	// Limits maps each namespace some policy selects to its limits in
	// force.
	Limits map[string]servingv1alpha1.TenantLimitsInForce
	// Overlapped maps a policy's name to the namespaces it selects that an
	// older policy governs, sorted.
	Overlapped map[string][]string
	// Invalid maps a policy's name to why its selector cannot be used; such
	// a policy selects nothing.
	Invalid map[string]error
}

// For returns the limits in force in namespace ns.
func (r *Result) For(ns string) servingv1alpha1.TenantLimitsInForce {
	if l, ok := r.Limits[ns]; ok {
		return l
	}
	return r.Defaults
}

// Governed returns the namespaces that the policy named policy governs,
// sorted.
func (r *Result) Governed(policy string) []string {
	var out []string
	for ns, p := range r.Governing {
		if p == policy {
			out = append(out, ns)
		}
	}
	slices.Sort(out)
	return out
}

// Resolve decides the limits of every namespace in namespaces under
// policies and the wake-config defaults. It does not modify its arguments.
func Resolve(policies []servingv1alpha1.TenantPolicy, namespaces []Namespace, defaults config.Tenant) *Result {
	r := &Result{
		Defaults:   InForce(servingv1alpha1.TenantLimits{}, defaults),
		Governing:  map[string]string{},
		Limits:     map[string]servingv1alpha1.TenantLimitsInForce{},
		Overlapped: map[string][]string{},
		Invalid:    map[string]error{},
	}
	ordered := make([]*servingv1alpha1.TenantPolicy, 0, len(policies))
	for i := range policies {
		ordered = append(ordered, &policies[i])
	}
	slices.SortFunc(ordered, olderFirst)
	for _, p := range ordered {
		sel, err := metav1.LabelSelectorAsSelector(&p.Spec.NamespaceSelector)
		if err != nil {
			r.Invalid[p.Name] = fmt.Errorf("spec.namespaceSelector: %w", err)
			continue
		}
		limits := InForce(p.Spec.Limits, defaults)
		for _, ns := range namespaces {
			if !sel.Matches(labels.Set(ns.Labels)) {
				continue
			}
			if _, taken := r.Governing[ns.Name]; taken {
				r.Overlapped[p.Name] = append(r.Overlapped[p.Name], ns.Name)
				continue
			}
			r.Governing[ns.Name] = p.Name
			r.Limits[ns.Name] = limits
		}
		slices.Sort(r.Overlapped[p.Name])
	}
	return r
}

// olderFirst orders policies by creation time, then by name.
func olderFirst(a, b *servingv1alpha1.TenantPolicy) int {
	if c := a.CreationTimestamp.Compare(b.CreationTimestamp.Time); c != 0 {
		return c
	}
	return strings.Compare(a.Name, b.Name)
}

// InForce returns the limits a policy's spec sets, with the defaults for
// those it leaves unset. An unset burst is the rate.
func InForce(l servingv1alpha1.TenantLimits, d config.Tenant) servingv1alpha1.TenantLimitsInForce {
	in := servingv1alpha1.TenantLimitsInForce{
		MaxInFlight:         orDefault(l.MaxInFlight, d.MaxInFlight),
		MaxHeldRequests:     orDefault(l.MaxHeldRequests, d.MaxHeldRequests),
		RequestsPerSecond:   orDefault(l.RequestsPerSecond, d.RequestsPerSecond),
		Burst:               orDefault(l.Burst, d.Burst),
		MaxPods:             orDefault(l.MaxPods, d.MaxPods),
		MaxScaleUpPerMinute: orDefault(l.MaxScaleUpPerMinute, d.MaxScaleUpPerMinute),
	}
	if l.Burst == nil && l.RequestsPerSecond != nil {
		in.Burst = 0 // a policy's own rate brings its own burst, not wake-config's
	}
	switch {
	case in.RequestsPerSecond == 0:
		in.Burst = 0
	case in.Burst == 0:
		in.Burst = in.RequestsPerSecond
	}
	return in
}

func orDefault(v *int32, d int32) int32 {
	if v != nil {
		return *v
	}
	return d
}
