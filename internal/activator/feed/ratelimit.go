package feed

import (
	"strconv"
	"time"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/ratelimit"
)

// rateLimitConfig converts rule i of Route ns/name's rateLimit policy; nil
// limits nothing.
func rateLimitConfig(ns, name string, i int, p *servingv1alpha1.RateLimitPolicy) *ratelimit.Config {
	if p == nil {
		return nil
	}
	c := &ratelimit.Config{Namespace: ns, Scope: ns + "/" + name + "/" + strconv.Itoa(i), Shadow: p.ShadowMode}
	for j, r := range p.Rules {
		l := limitOf(string(r.Name), r.Limit, r.Quota)
		if l.Name == "" {
			l.Name = "rule-" + strconv.Itoa(j)
		}
		if r.Key != nil {
			l.Key, l.Header = ratelimit.KeyType(r.Key.Type), string(r.Key.Header)
		}
		c.Limits = append(c.Limits, l)
	}
	for _, pl := range p.Plans {
		c.Plans = append(c.Plans, ratelimit.Plan{Limit: limitOf(string(pl.Name), pl.Limit, pl.Quota), Clients: strs(pl.Clients)})
	}
	return c
}

// limitOf converts a rate and an optional quota.
func limitOf(name string, v servingv1alpha1.RateLimitValue, q *servingv1alpha1.RateLimitQuota) ratelimit.Limit {
	l := ratelimit.Limit{Name: name, Requests: v.Requests, Per: unitOf(v.Unit)}
	if v.Burst != nil {
		l.Burst = *v.Burst
	}
	if q != nil {
		l.Quota, l.Period = q.Requests, ratelimit.Period(q.Period)
	}
	return l
}

// unitOf returns the length of a rate's unit; an unknown one (the API
// server refuses them) is taken as a second.
func unitOf(u servingv1alpha1.RateLimitUnit) time.Duration {
	switch u {
	case servingv1alpha1.RateLimitMinute:
		return time.Minute
	case servingv1alpha1.RateLimitHour:
		return time.Hour
	case servingv1alpha1.RateLimitDay:
		return 24 * time.Hour
	}
	return time.Second
}
