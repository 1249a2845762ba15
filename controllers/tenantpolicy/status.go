package tenantpolicy

import (
	"fmt"
	"math"
	"strings"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// MaxOverlapsListed bounds how many namespaces the Exclusive condition's
// message names; it counts the others.
const MaxOverlapsListed = 10

// OverlapMessage says which of a policy's selected namespaces, overlapped
// (sorted), older policies govern, and which policy governs each (from
// governing), naming at most MaxOverlapsListed of them, e.g.
// "2 selected namespaces are governed by older policies: team-a by free, team-b by free".
func OverlapMessage(overlapped []string, governing map[string]string) string {
	listed := overlapped[:min(len(overlapped), MaxOverlapsListed)]
	parts := make([]string, len(listed))
	for i, ns := range listed {
		parts[i] = fmt.Sprintf("%s by %s", ns, governing[ns])
	}
	msg := fmt.Sprintf("%d selected namespaces are governed by older policies: %s", len(overlapped), strings.Join(parts, ", "))
	if more := len(overlapped) - len(listed); more > 0 {
		msg += fmt.Sprintf(", and %d more", more)
	}
	return msg
}

// NamespaceStatus is one governed namespace's line in the status: its
// limits in force, its pods and its requests in flight rounded to the
// nearest whole request.
func NamespaceStatus(name string, limits servingv1alpha1.TenantLimitsInForce, pods int64, inFlight float64) servingv1alpha1.TenantNamespaceStatus {
	return servingv1alpha1.TenantNamespaceStatus{
		Name:     name,
		Limits:   limits,
		Pods:     clampInt32(float64(pods)),
		InFlight: clampInt32(math.Round(inFlight)),
	}
}

// clampInt32 bounds v to [0, MaxInt32]; NaN is 0. Use is reported by other
// components and is not trusted to be in range.
func clampInt32(v float64) int32 {
	switch {
	case !(v > 0):
		return 0
	case v >= math.MaxInt32:
		return math.MaxInt32
	}
	return int32(v)
}
