//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
)

// TestRateLimitHoldsAcrossActivators: a Route limited to 20 requests/s
// (burst 20) gets 60 requests/s for 12 s, 11 of 12 sent to one activator
// pod and 1 of 12 to the other: the two together admit what one bucket
// would (burst + rate × time) within 5%, and answer the rest 429 with
// Retry-After and the RateLimit headers. (Each enforcing half the limit
// would admit a quarter less: the second activator gets less than its
// half.)
func TestRateLimitHoldsAcrossActivators(t *testing.T) {
	ns := newNamespace(t, "ratelimit")
	create(t, newFunction(ns, "limited", "hello", withGreeting("limited"), withScaleBounds(1, 1)))
	host := "api." + ns + "." + suite.domain
	const rate, burst = 20, 20
	rt := newRoute(ns, "limited", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "limited", Percent: 100})
	rt.Spec.Policies = &servingv1alpha1.RoutePolicies{RateLimit: &servingv1alpha1.RateLimitPolicy{
		Rules: []servingv1alpha1.RateLimitRule{{Name: "all", Limit: servingv1alpha1.RateLimitValue{
			Requests: rate, Unit: servingv1alpha1.RateLimitSecond, Burst: ptr.To[int64](burst),
		}}},
	}}
	create(t, rt)
	waitRouteCondition(t, ns, "limited", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pods, err := listPods(ctx, activatorLabels)
	if err != nil {
		t.Fatal(err)
	}
	var addrs []string
	for _, p := range pods {
		if p.DeletionTimestamp == nil && p.Status.PodIP != "" {
			addrs = append(addrs, net.JoinHostPort(p.Status.PodIP, "8080"))
		}
	}
	if len(addrs) != 2 {
		t.Fatalf("activator pods %v, want 2", addrs)
	}
	// Every 12th connection goes to the second activator, the others to
	// the first.
	var next atomic.Uint64
	alternate := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			addr := addrs[0]
			if next.Add(1)%12 == 0 {
				addr = addrs[1]
			}
			return d.DialContext(ctx, network, addr)
		},
	}}
	// Both activators serve the Route (200 or 429, not 404).
	if _, err := poll.Until(ctx, pollInterval, func(context.Context) error {
		for i := range 24 {
			if r := doVia(alternate, requestTimeout, http.MethodGet, host, "/"); r.code != http.StatusOK && r.code != http.StatusTooManyRequests {
				return fmt.Errorf("request %d: %v", i, r)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("route not served by both activators: %v", err)
	}
	poll.Sleep(ctx, 2*time.Second) // the bucket fills up again

	rs := steadyLoad(alternate, host, 3*rate, 12*time.Second, nil)
	admitted, refused := 0, 0
	var first, last time.Duration = math.MaxInt64, 0
	var refusal response
	for _, r := range rs {
		first, last = min(first, r.sent), max(last, r.sent)
		switch {
		case r.err == nil && r.code == http.StatusOK:
			admitted++
		case r.err == nil && r.code == http.StatusTooManyRequests:
			refused++
			refusal = r.response
		default:
			t.Errorf("request sent at %v: %v, want 200 or 429", r.sent, r.response)
		}
	}
	want := burst + rate*(last-first).Seconds()
	t.Logf("%d requests over %.1fs through 2 activators: %d admitted (one bucket: %.0f, %+.1f%%), %d refused",
		len(rs), (last - first).Seconds(), admitted, want, 100*(float64(admitted)-want)/want, refused)
	if math.Abs(float64(admitted)-want) > 0.05*want {
		t.Errorf("admitted %d, want %.0f within 5%%", admitted, want)
	}
	if refused == 0 {
		t.Fatal("no request refused at 3x the limit")
	}
	if refusal.header.Get("Retry-After") == "" || refusal.header.Get("RateLimit-Policy") != `"all";q=20;w=1` || refusal.header.Get("RateLimit") == "" {
		t.Errorf("a refusal's headers: Retry-After %q, RateLimit-Policy %q, RateLimit %q", refusal.header.Get("Retry-After"),
			refusal.header.Get("RateLimit-Policy"), refusal.header.Get("RateLimit"))
	}
}
