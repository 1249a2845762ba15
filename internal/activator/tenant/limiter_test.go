package tenant

import (
	"errors"
	"sync"
	"testing"
	"time"

	"k8s.io/utils/clock"
	clocktesting "k8s.io/utils/clock/testing"
)

var t0 = time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)

// table returns limits: ns "limited" gets l, every other namespace the
// defaults d.
func table(l, d Limits) *Table {
	return &Table{Default: d, Namespaces: map[string]Limits{"limited": l}}
}

// newLimiter returns a Limiter on a fake clock at t0 with limits r, for
// activator index of count.
func newLimiter(r *Table, count, index int) (*Limiter, *clocktesting.FakePassiveClock) {
	c := clocktesting.NewFakePassiveClock(t0)
	l := New(Options{Clock: c, SweepPeriod: 10 * time.Second})
	l.SetLimits(r)
	l.SetActivators(count, index)
	return l, c
}

// admitted counts the requests Allow (rate) or Begin (in flight) admits
// in a row before the first refusal, up to 100; it checks the refusal.
func admitted(t *testing.T, l *Limiter, ns, limit string) int {
	t.Helper()
	for n := range 100 {
		var err error
		if limit == LimitRate {
			err = l.Allow(ns)
		} else {
			_, err = l.Begin(ns)
		}
		if err == nil {
			continue
		}
		var te *Error
		if !errors.As(err, &te) || te.Limit != limit || te.Namespace != ns || te.RetryAfter < time.Second {
			t.Fatalf("refusal %v, want an *Error for %s of %s with RetryAfter >= 1s", err, limit, ns)
		}
		return n
	}
	return 100
}

// TestShares: each activator admits its share of each limit, the shares
// of all activators adding up to the limit; a namespace without limits is
// not limited; a share below one admits nothing.
func TestShares(t *testing.T) {
	l7 := Limits{MaxInFlight: 7, MaxHeldRequests: 3, RequestsPerSecond: 5, Burst: 9}
	tests := []struct {
		name                  string
		limits                Limits
		count, index          int
		inFlight, held, burst int
		heldLimited           bool
	}{
		{"one activator", l7, 1, 0, 7, 3, 9, true},
		{"two activators, first", l7, 2, 0, 4, 2, 5, true},
		{"two activators, second", l7, 2, 1, 3, 1, 4, true},
		{"no limits", Limits{}, 2, 0, 100, 0, 100, false},
		{"shares below one", Limits{MaxInFlight: 1, MaxHeldRequests: 1, RequestsPerSecond: 1, Burst: 1}, 2, 1, 0, 0, 0, true},
		{"burst below the count: a token at least", Limits{RequestsPerSecond: 4, Burst: 1}, 2, 1, 100, 0, 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, _ := newLimiter(table(tt.limits, Limits{}), tt.count, tt.index)
			if got := admitted(t, l, "limited", LimitInFlight); got != tt.inFlight {
				t.Errorf("in flight: %d admitted, want %d", got, tt.inFlight)
			}
			if got := admitted(t, l, "limited", LimitRate); got != tt.burst {
				t.Errorf("rate: %d admitted at once, want %d", got, tt.burst)
			}
			if got, limited := l.HeldShare("limited"); got != int64(tt.held) || limited != tt.heldLimited {
				t.Errorf("held share %d, %v; want %d, %v", got, limited, tt.held, tt.heldLimited)
			}
			if got := admitted(t, l, "other", LimitInFlight); got != 100 {
				t.Errorf("a namespace without limits: %d admitted in flight, want all", got)
			}
		})
	}
}

// TestDefaults: a namespace no policy selects gets wake-config's defaults;
// before any limits are known, nothing is limited, and a nil Limiter
// limits nothing.
func TestDefaults(t *testing.T) {
	l, _ := newLimiter(table(Limits{}, Limits{MaxInFlight: 2}), 1, 0)
	if got := admitted(t, l, "any", LimitInFlight); got != 2 {
		t.Errorf("defaults: %d admitted in flight, want 2", got)
	}
	if got := admitted(t, New(Options{}), "any", LimitInFlight); got != 100 {
		t.Errorf("no limits known: %d admitted, want all", got)
	}
	var none *Limiter
	if _, err := none.Begin("any"); err != nil || none.Allow("any") != nil {
		t.Errorf("nil Limiter refused: %v", err)
	}
	if _, limited := none.HeldShare("any"); limited {
		t.Error("nil Limiter has a held limit")
	}
}

// TestInFlightDone: a slot ended frees its place; ending the zero Slot
// does nothing.
func TestInFlightDone(t *testing.T) {
	l, _ := newLimiter(table(Limits{MaxInFlight: 2}, Limits{}), 1, 0)
	a, _ := l.Begin("limited")
	if _, err := l.Begin("limited"); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Begin("limited"); err == nil {
		t.Fatal("third request admitted over 2")
	}
	a.Done()
	Slot{}.Done()
	if _, err := l.Begin("limited"); err != nil {
		t.Fatalf("after one ended: %v", err)
	}
	if _, err := l.Begin("limited"); err == nil {
		t.Fatal("admitted over 2 after one ended")
	}
}

// TestBucket: the bucket starts full (burst), refills at the rate up to
// its size, and a refusal says how many whole seconds until a token.
func TestBucket(t *testing.T) {
	type step struct {
		advance    time.Duration
		admitted   int           // in a row before the refusal
		retryAfter time.Duration // of the refusal
	}
	tests := []struct {
		name         string
		rps, burst   int32
		count, index int
		steps        []step
	}{
		{"rate 2, burst 3", 2, 3, 1, 0, []step{
			{0, 3, time.Second}, {500 * time.Millisecond, 1, time.Second}, {10 * time.Second, 3, time.Second},
		}},
		{"slow rate: retry after the seconds until a token", 1, 1, 4, 0, []step{
			// A share of 1 over 4 activators: only index 0 has one, 1 a second.
			{0, 1, time.Second}, {300 * time.Millisecond, 0, time.Second},
		}},
		{"rate 5 over 2: 3 and burst 5 over 2: 3", 5, 5, 2, 0, []step{
			{0, 3, time.Second}, {time.Second, 3, time.Second}, {200 * time.Millisecond, 0, time.Second}, {200 * time.Millisecond, 1, time.Second},
		}},
		{"share of the rate 0: never, retry after 1s", 1, 1, 2, 1, []step{{0, 0, time.Second}, {time.Hour, 0, time.Second}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, c := newLimiter(table(Limits{RequestsPerSecond: tt.rps, Burst: tt.burst}, Limits{}), tt.count, tt.index)
			for i, s := range tt.steps {
				c.SetTime(c.Now().Add(s.advance))
				n := 0
				var err error
				for ; n < 100; n++ {
					if err = l.Allow("limited"); err != nil {
						break
					}
				}
				var te *Error
				if n != s.admitted || !errors.As(err, &te) || te.RetryAfter != s.retryAfter {
					t.Fatalf("step %d: %d admitted then %v; want %d then retry after %v", i, n, err, s.admitted, s.retryAfter)
				}
			}
		})
	}
}

// TestRetryAfterRounds: a token 2.5 s away is announced as 3 s.
func TestRetryAfterRounds(t *testing.T) {
	var b bucket
	now := t0
	if ok, _ := b.take(0.2, 1, now); !ok {
		t.Fatal("a full bucket refused")
	}
	now = now.Add(2500 * time.Millisecond) // half a token
	if ok, after := b.take(0.2, 1, now); ok || after != 3*time.Second {
		t.Errorf("got %v, %v; want a refusal, retry after 3s", ok, after)
	}
}

// TestForgetIdle: a namespace's state is kept while it has a request in
// flight or a bucket not yet full, and forgotten at the next sweep once it
// has neither; a namespace without limits never has state; a namespace
// whose limits go away is forgotten at once when idle.
func TestForgetIdle(t *testing.T) {
	limits := Limits{MaxInFlight: 5, RequestsPerSecond: 1, Burst: 1}
	r := &Table{Namespaces: map[string]Limits{"busy": limits, "rated": limits, "quiet": limits}}
	l, c := newLimiter(r, 1, 0)
	slot, _ := l.Begin("busy")
	_ = l.Allow("rated") // the bucket is empty for a second
	_, _ = l.Begin("quiet")
	_ = l.Allow("free")
	_, _ = l.Begin("free")
	quiet, _ := l.Begin("quiet")
	quiet.Done()
	if got := l.stateCount(); got != 3 {
		t.Fatalf("%d namespaces have state, want 3 (not the one without limits)", got)
	}
	// quiet still counts one (its first Begin never ended).
	c.SetTime(c.Now().Add(500 * time.Millisecond))
	l.sweep(c.Now())
	if got := l.names(); len(got) != 3 {
		t.Fatalf("after a sweep with all busy: %v", got)
	}
	l.SetLimits(&Table{Namespaces: map[string]Limits{"busy": limits, "rated": limits}})
	if got := l.names(); len(got) != 3 {
		t.Fatalf("quiet's in-flight request is still counted: %v", got)
	}
	c.SetTime(c.Now().Add(600 * time.Millisecond)) // rated's bucket is full again
	_ = l.Allow("other")                           // a sweep period has not passed: no sweep
	if got := l.names(); len(got) != 3 {
		t.Fatalf("before a sweep period: %v", got)
	}
	c.SetTime(c.Now().Add(10 * time.Second))
	_, _ = l.Begin("busy") // sweeps
	got := l.names()
	if len(got) != 2 || !got["busy"] || !got["quiet"] {
		t.Fatalf("after the sweep: %v, want busy and quiet (both in flight)", got)
	}
	slot.Done()
	// busy: two in flight now; the second never ends.
	c.SetTime(c.Now().Add(10 * time.Second))
	l.sweep(c.Now())
	if got := l.names(); !got["busy"] {
		t.Fatalf("busy forgotten with a request in flight: %v", got)
	}
}

// TestConcurrent: under -race, concurrent requests never exceed the share
// in flight while sweeps forget states.
func TestConcurrent(t *testing.T) {
	r := table(Limits{MaxInFlight: 3}, Limits{})
	l := New(Options{Clock: clock.RealClock{}, SweepPeriod: time.Nanosecond})
	l.SetLimits(r)
	var (
		mu        sync.Mutex
		cur, peak int
		wg        sync.WaitGroup
	)
	for range 8 {
		wg.Go(func() {
			for range 500 {
				s, err := l.Begin("limited")
				if err != nil {
					continue
				}
				mu.Lock()
				cur++
				peak = max(peak, cur)
				mu.Unlock()
				mu.Lock()
				cur--
				mu.Unlock()
				s.Done()
			}
		})
	}
	wg.Wait()
	if peak > 3 {
		t.Errorf("%d in flight at once, limit 3", peak)
	}
}

func (l *Limiter) stateCount() int {
	l.mu.RLock()
	defer l.mu.RUnlock()
	return len(l.states)
}

func (l *Limiter) names() map[string]bool {
	l.mu.RLock()
	defer l.mu.RUnlock()
	out := map[string]bool{}
	for ns := range l.states {
		out[ns] = true
	}
	return out
}
