package feed

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/ratelimit"
)

func TestRateLimitConfig(t *testing.T) {
	p := &servingv1alpha1.RateLimitPolicy{
		Rules: []servingv1alpha1.RateLimitRule{
			{Limit: servingv1alpha1.RateLimitValue{Requests: 10, Unit: servingv1alpha1.RateLimitSecond}},
			{
				Name:  "per-tenant",
				Key:   &servingv1alpha1.RateLimitKey{Type: servingv1alpha1.RateLimitKeyHeader, Header: "X-Tenant"},
				Limit: servingv1alpha1.RateLimitValue{Requests: 100, Unit: servingv1alpha1.RateLimitHour, Burst: ptr.To[int64](5)},
				Quota: &servingv1alpha1.RateLimitQuota{Requests: 1000, Period: servingv1alpha1.RateLimitPeriodMonth},
			},
		},
		Plans: []servingv1alpha1.RatePlan{{
			Name: "free", Clients: []servingv1alpha1.ClientID{"a", "b"},
			Limit: servingv1alpha1.RateLimitValue{Requests: 60, Unit: servingv1alpha1.RateLimitMinute},
			Quota: &servingv1alpha1.RateLimitQuota{Requests: 500, Period: servingv1alpha1.RateLimitPeriodDay},
		}},
		ShadowMode: true,
	}
	want := &ratelimit.Config{
		Namespace: "ns", Scope: "ns/api/2", Shadow: true,
		Limits: []ratelimit.Limit{
			{Name: "rule-0", Requests: 10, Per: time.Second},
			{Name: "per-tenant", Key: ratelimit.KeyHeader, Header: "X-Tenant", Requests: 100, Per: time.Hour, Burst: 5, Quota: 1000, Period: ratelimit.Month},
		},
		Plans: []ratelimit.Plan{{
			Limit:   ratelimit.Limit{Name: "free", Requests: 60, Per: time.Minute, Quota: 500, Period: ratelimit.Day},
			Clients: []string{"a", "b"},
		}},
	}
	if got := rateLimitConfig("ns", "api", 2, p); !equality.Semantic.DeepEqual(got, want) {
		t.Errorf("rateLimitConfig =\n%+v\nwant\n%+v", got, want)
	}
	if got := rateLimitConfig("ns", "api", 0, nil); got != nil {
		t.Errorf("no policy: %+v, want nil", got)
	}
}
