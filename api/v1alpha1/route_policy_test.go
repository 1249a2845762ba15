package v1alpha1

import (
	"strings"
	"testing"
)

func TestRulePolicies(t *testing.T) {
	routeWide := &CORSPolicy{AllowOrigins: []CORSOrigin{"*"}}
	own := &CORSPolicy{AllowOrigins: []CORSOrigin{"https://app.test"}}
	spec := RouteSpec{
		Policies: &RoutePolicies{CORS: routeWide},
		Rules: []RouteRule{
			{},                                    // inherits
			{Policies: &RoutePolicies{}},          // sets no kind: inherits
			{Policies: &RoutePolicies{CORS: own}}, // replaces
		},
	}
	tests := []struct {
		rule int
		want *CORSPolicy
	}{{0, routeWide}, {1, routeWide}, {2, own}, {3, routeWide}, {-1, routeWide}}
	for _, tc := range tests {
		if got := spec.RulePolicies(tc.rule).CORS; got != tc.want {
			t.Errorf("rule %d: CORS %+v, want %+v", tc.rule, got, tc.want)
		}
	}
	none := RouteSpec{Rules: []RouteRule{{}, {Policies: &RoutePolicies{CORS: own}}}}
	if got := none.RulePolicies(0).CORS; got != nil {
		t.Errorf("no policies anywhere: CORS %+v, want nil", got)
	}
	if got := none.RulePolicies(1).CORS; got != own {
		t.Errorf("a rule's own policy without a route-wide one: %+v, want %+v", got, own)
	}
}

func TestLogsConfigMapName(t *testing.T) {
	if got := LogsConfigMapName("api"); got != "api-wake-logs" {
		t.Errorf("LogsConfigMapName(api) = %q", got)
	}
	long := strings.Repeat("a", 253)
	a, b := LogsConfigMapName(long), LogsConfigMapName(long[:252]+"b")
	if len(a) != 253 || !strings.HasSuffix(a, "-wake-logs") || a == b {
		t.Errorf("long names: %q (%d), %q: want 253 characters, distinct, ending -wake-logs", a, len(a), b)
	}
}
