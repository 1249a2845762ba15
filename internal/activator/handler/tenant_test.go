package handler_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/testutil"
)

// gatePod holds every request until opened, and records the most it held
// at once.
type gatePod struct {
	*httptest.Server
	cur, peak atomic.Int32
	gate      chan struct{}
	once      sync.Once
}

func newGatePod(t *testing.T) *gatePod {
	p := &gatePod{gate: make(chan struct{})}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.cur.Add(1)
		defer p.cur.Add(-1)
		for m := p.peak.Load(); n > m && !p.peak.CompareAndSwap(m, n); m = p.peak.Load() {
		}
		select {
		case <-p.gate:
		case <-r.Context().Done():
		}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(p.Close)
	t.Cleanup(p.open) // before Close, which waits for held requests
	return p
}

func (p *gatePod) open() { p.once.Do(func() { close(p.gate) }) }

// tenantLimits resolves to limits for the namespaces named, none elsewhere.
func tenantLimits(l map[string]tenant.Limits) *tenant.Table {
	return &tenant.Table{Namespaces: l}
}

// activatorPair starts two activators on 127.0.0.1, each the other's peer,
// as indexes 0 and 1 of 2 for the throttler and the tenant limits alike,
// both with limits.
func activatorPair(t *testing.T, o envOptions, limits *tenant.Table) (a, b *env) {
	var addrs atomic.Pointer[[]string]
	o.peers = func() []string { return *addrs.Load() }
	a, b = newEnvWith(t, o), newEnvWith(t, o)
	addrs.Store(&[]string{a.addr, b.addr})
	for i, e := range []*env{a, b} {
		e.dp.SetActivators(2, i)
		e.dp.Tenants.SetLimits(limits)
	}
	return a, b
}

// result is one answer's status and the headers a refusal carries.
type result struct {
	code              int
	limit, retryAfter string
}

// send GETs host through e and returns the result; a transport error fails
// the test.
func send(t *testing.T, e *env, host string) result {
	code, h, _, err := e.do(context.Background(), "GET", host, "/")
	if err != nil {
		t.Errorf("GET %s via %s: %v", host, e.addr, err)
	}
	return result{code: code, limit: h.Get("Wake-Limit"), retryAfter: h.Get("Retry-After")}
}

// TestTenantInFlightOverTwoActivators: with two activators and maxInFlight
// 4, 20 concurrent slow requests, 10 sent to each, are served 4 at once in
// total (2 by each activator) and the other 16 answered 429 with
// Wake-Limit: tenant-in-flight and Retry-After: 1 at once; meanwhile a
// namespace without limits, and another with its own limit, are served.
func TestTenantInFlightOverTwoActivators(t *testing.T) {
	limits := tenantLimits(map[string]tenant.Limits{
		"limited": {MaxInFlight: 4},
		"other":   {MaxInFlight: 2},
	})
	a, b := activatorPair(t, envOptions{}, limits)
	pod, ok := newGatePod(t), okBackend(t)
	for _, e := range []*env{a, b} {
		e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "limited", Name: "slow"}, TimeoutSeconds: 30}, 0, 100, hostOf(pod.Server))
		e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "other", Name: "oth"}, TimeoutSeconds: 30}, 0, 100, hostOf(ok))
		e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "free", Name: "fr"}, TimeoutSeconds: 30}, 0, 100, hostOf(ok))
	}

	results := make(chan result, 20)
	var wg sync.WaitGroup
	for i := range 20 {
		e := []*env{a, b}[i%2]
		wg.Go(func() { results <- send(t, e, "slow.test") })
	}
	for i := range 16 {
		select {
		case r := <-results:
			if r.code != http.StatusTooManyRequests || r.limit != "tenant-in-flight" || r.retryAfter != "1" {
				t.Errorf("refusal %d: %+v, want 429 tenant-in-flight, Retry-After 1", i, r)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d refusals, want 16", i)
		}
	}
	testutil.Eventually(t, 10*time.Second, "4 requests at the pod", func() bool { return pod.cur.Load() == 4 })
	for _, e := range []*env{a, b} {
		if v, _ := testutil.MetricValue(t, e.reg, "wake_activator_tenant_requests_in_flight", map[string]string{"namespace": "limited"}); v != 2 {
			t.Errorf("activator %s counts %v in flight, want 2", e.addr, v)
		}
		for _, host := range []string{"fr.test", "oth.test"} {
			if r := send(t, e, host); r.code != 200 {
				t.Errorf("%s via %s while limited is at its limit: %+v, want 200", host, e.addr, r)
			}
		}
	}
	pod.open()
	wg.Wait()
	close(results)
	for r := range results {
		if r.code != 200 {
			t.Errorf("admitted request: %+v, want 200", r)
		}
	}
	if p := pod.peak.Load(); p != 4 {
		t.Errorf("pod saw %d requests at once, want 4", p)
	}
	if n := a.refused("tenant_in_flight") + b.refused("tenant_in_flight"); n != 16 {
		t.Errorf("refused_total{reason=tenant_in_flight} = %v over both, want 16", n)
	}
}

// TestTenantRateOverTwoActivators: requestsPerSecond 4 (burst 4) over two
// activators admits 4 requests at once in total, refuses the rest with 429,
// Wake-Limit: tenant-rate and the seconds until a token, and admits again
// as the buckets refill; a namespace without limits is not limited.
func TestTenantRateOverTwoActivators(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	limits := tenantLimits(map[string]tenant.Limits{"limited": {RequestsPerSecond: 4, Burst: 4}})
	a, b := activatorPair(t, envOptions{clock: clk}, limits)
	ok := okBackend(t)
	for _, e := range []*env{a, b} {
		e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "limited", Name: "rated"}, TimeoutSeconds: 10}, 0, 100, hostOf(ok))
		e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "free", Name: "fr"}, TimeoutSeconds: 10}, 0, 100, hostOf(ok))
	}
	round := func(want int) {
		t.Helper()
		served := 0
		for i := range 10 {
			r := send(t, []*env{a, b}[i%2], "rated.test")
			switch {
			case r.code == 200:
				served++
			case r.code != http.StatusTooManyRequests || r.limit != "tenant-rate" || r.retryAfter != "1":
				t.Errorf("refusal: %+v, want 429 tenant-rate, Retry-After 1", r)
			}
		}
		if served != want {
			t.Errorf("%d of 10 served, want %d", served, want)
		}
	}
	round(4)
	for range 10 {
		if r := send(t, a, "fr.test"); r.code != 200 {
			t.Fatalf("namespace without limits: %+v", r)
		}
	}
	clk.SetTime(clk.Now().Add(500 * time.Millisecond)) // a token for each
	round(2)
	if n := a.refused("tenant_rate") + b.refused("tenant_rate"); n != 14 {
		t.Errorf("refused_total{reason=tenant_rate} = %v over both, want 14", n)
	}
}

// TestTenantLimitsForwarded: a request forwarded to the activator that
// owns the capacity is counted once: against the rate where it arrived
// and in flight where a pod serves it. A request that waits for capacity
// is not in flight while it waits, and a request refused by a tenant limit
// is never forwarded.
func TestTenantLimitsForwarded(t *testing.T) {
	clk := clocktesting.NewFakePassiveClock(time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC))
	limits := tenantLimits(map[string]tenant.Limits{
		"limited": {MaxInFlight: 2, RequestsPerSecond: 2, Burst: 2}, // 1 of each per activator
	})
	a, b := activatorPair(t, envOptions{clock: clk}, limits)
	pod := newGatePod(t)
	key := types.NamespacedName{Namespace: "limited", Name: "fn"}
	for _, e := range []*env{a, b} {
		e.register(routing.RevisionInput{Key: key, TimeoutSeconds: 30}, 1, 100, hostOf(pod.Server))
	}
	zero, owner := a, b
	if s, _ := a.th.Stats(key); s.Capacity == 1 {
		zero, owner = b, a
	}

	first := make(chan result, 1)
	go func() { first <- send(t, zero, "fn.test") }() // forwarded to the owner
	testutil.Eventually(t, 10*time.Second, "first request at the pod", func() bool { return pod.cur.Load() == 1 })
	inFlight := func(e *env) float64 {
		v, _ := testutil.MetricValue(t, e.reg, "wake_activator_tenant_requests_in_flight", map[string]string{"namespace": "limited"})
		return v
	}
	if z, o := inFlight(zero), inFlight(owner); z != 0 || o != 1 {
		t.Errorf("in flight: %v where it arrived, %v where it is served; want 0 and 1", z, o)
	}
	// The owner's token is still there, and its share in flight waits for
	// the pod: this request waits (not in flight) and is then served.
	second := make(chan result, 1)
	go func() { second <- send(t, owner, "fn.test") }()
	testutil.Eventually(t, 10*time.Second, "second request waiting at the owner", func() bool { return owner.queued(key) == 1 })
	// The activator it arrived at has spent its token: refused, not forwarded.
	if r := send(t, zero, "fn.test"); r.code != http.StatusTooManyRequests || r.limit != "tenant-rate" {
		t.Errorf("third request: %+v, want 429 tenant-rate", r)
	}
	pod.open()
	for i, ch := range []chan result{first, second} {
		if r := <-ch; r.code != 200 {
			t.Errorf("request %d: %+v, want 200", i+1, r)
		}
	}
	if s, _ := owner.th.Stats(key); s.Requests != 2 {
		t.Errorf("the owner took %d requests, want 2 (the refused one never forwarded)", s.Requests)
	}
	if s, _ := zero.th.Stats(key); s.Requests != 0 {
		t.Errorf("the activator without share took %d requests itself, want 0", s.Requests)
	}
	if n := owner.refused("tenant_in_flight") + zero.refused("tenant_in_flight"); n != 0 {
		t.Errorf("%v refused in flight, want 0", n)
	}
}

// TestTenantHeld: maxHeldRequests bounds the requests a namespace holds
// waiting (here for a cold start); beyond it 429 with Wake-Limit:
// tenant-held-requests, while another namespace still waits.
func TestTenantHeld(t *testing.T) {
	e := newEnv(t)
	e.dp.Tenants.SetLimits(tenantLimits(map[string]tenant.Limits{"limited": {MaxHeldRequests: 2}}))
	cold := e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "limited", Name: "cold"}, TimeoutSeconds: 30}, 0, 100)
	freeCold := e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "free", Name: "fcold"}, TimeoutSeconds: 30}, 0, 100)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	for range 2 {
		wg.Go(func() { _, _, _, _ = e.do(ctx, "GET", "cold.test", "/") })
	}
	for range 3 {
		wg.Go(func() { _, _, _, _ = e.do(ctx, "GET", "fcold.test", "/") })
	}
	testutil.Eventually(t, 10*time.Second, "held", func() bool { return e.queued(cold) == 2 && e.queued(freeCold) == 3 })
	if r := send(t, e, "cold.test"); r.code != http.StatusTooManyRequests || r.limit != "tenant-held-requests" || r.retryAfter != "1" {
		t.Errorf("third held request: %+v, want 429 tenant-held-requests, Retry-After 1", r)
	}
	if n := e.refused("tenant_held_requests"); n != 1 {
		t.Errorf("refused_total{reason=tenant_held_requests} = %v, want 1", n)
	}
}
