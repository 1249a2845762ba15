package tenant

import (
	"sync"
	"sync/atomic"
	"time"

	"k8s.io/utils/clock"
)

// DefaultSweepPeriod is how often a Limiter forgets the state of idle
// namespaces, when Options.SweepPeriod is 0.
const DefaultSweepPeriod = time.Minute

// Options configures a Limiter. The zero value is usable.
type Options struct {
	// Clock is the time source of the buckets and of forgetting idle
	// state; nil means the real clock. Tests inject a fake clock.
	Clock clock.PassiveClock
	// SweepPeriod is how often the state of namespaces with no request in
	// flight and a full bucket is forgotten; 0 means DefaultSweepPeriod.
	SweepPeriod time.Duration
}

// Limiter enforces this activator's share of each namespace's tenant
// limits on requests in flight and on their rate. It is safe for
// concurrent use; a nil *Limiter limits nothing.
type Limiter struct {
	clock       clock.PassiveClock
	sweepPeriod time.Duration
	limits      atomic.Pointer[Table] // nil: no limits known yet
	acts        atomic.Pointer[activators]
	nextSweep   atomic.Int64 // unix nanoseconds

	mu     sync.RWMutex
	states map[string]*state // namespaces with a limit and recent traffic
}

// activators is this activator's place among them.
type activators struct{ count, index int }

// state is one namespace's use of its limits on this activator.
type state struct {
	mu       sync.Mutex
	dead     bool // forgotten by sweep: look the namespace up again
	inFlight int64
	bucket   bucket
}

// New returns a Limiter with no limits, for a single activator, until
// SetLimits and SetActivators say otherwise.
func New(o Options) *Limiter {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.SweepPeriod <= 0 {
		o.SweepPeriod = DefaultSweepPeriod
	}
	l := &Limiter{clock: o.Clock, sweepPeriod: o.SweepPeriod, states: map[string]*state{}}
	l.acts.Store(&activators{count: 1})
	return l
}

// SetLimits replaces every namespace's limits with t's. Requests see the
// old limits or the new ones, never a mix. Counts carry over: requests in flight stay counted, buckets keep
// their tokens (capped at the new size).
func (l *Limiter) SetLimits(t *Table) {
	l.limits.Store(t)
	l.sweep(l.clock.Now())
}

// SetActivators tells the Limiter there are count activators and this one
// has index (see throttler.Throttler.SetActivators): each limit is split
// among them with Share.
func (l *Limiter) SetActivators(count, index int) {
	l.acts.Store(&activators{count: count, index: index})
}

// shares are this activator's shares of one namespace's limits.
type shares struct {
	inFlight        int64
	inFlightLimited bool
	rate, size      float64 // tokens a second, bucket size
	rateLimited     bool
	heldShare       int64
	heldLimited     bool
}

// sharesOf returns this activator's shares of namespace ns's limits.
func (l *Limiter) sharesOf(ns string) shares {
	r := l.limits.Load()
	if r == nil {
		return shares{}
	}
	lim := r.For(ns)
	if lim.MaxInFlight == 0 && lim.RequestsPerSecond == 0 && lim.MaxHeldRequests == 0 {
		return shares{}
	}
	a := l.acts.Load()
	var sh shares
	sh.inFlight, sh.inFlightLimited = Share(lim.MaxInFlight, a.count, a.index)
	sh.heldShare, sh.heldLimited = Share(lim.MaxHeldRequests, a.count, a.index)
	rate, limited := Share(lim.RequestsPerSecond, a.count, a.index)
	if limited {
		sh.rateLimited, sh.rate = true, float64(rate)
		if rate > 0 {
			// A bucket of no token would never admit at a rate above 0.
			burst, _ := Share(lim.Burst, a.count, a.index)
			sh.size = float64(max(burst, 1))
		}
	}
	return sh
}

// HeldShare returns this activator's share of namespace ns's limit on
// requests held waiting, and false when it has none. The throttler counts
// them (throttler.Options.TenantHeld).
func (l *Limiter) HeldShare(ns string) (int64, bool) {
	if l == nil {
		return 0, false
	}
	sh := l.sharesOf(ns)
	return sh.heldShare, sh.heldLimited
}

// Allow takes one token of namespace ns's bucket for a request arriving,
// or returns an *Error (LimitRate, with the time until a token is free)
// when there is none.
func (l *Limiter) Allow(ns string) error {
	if l == nil {
		return nil
	}
	sh := l.sharesOf(ns)
	if !sh.rateLimited {
		return nil
	}
	now := l.clock.Now()
	s := l.lock(ns, now)
	ok, after := s.bucket.take(sh.rate, sh.size, now)
	s.mu.Unlock()
	if ok {
		return nil
	}
	return &Error{Namespace: ns, Limit: LimitRate, RetryAfter: after}
}

// Slot is one request counted in flight; Done ends it. The zero Slot
// counts nothing.
type Slot struct{ s *state }

// Done ends the request's count in flight. Call it once.
func (s Slot) Done() {
	if s.s == nil {
		return
	}
	s.s.mu.Lock()
	s.s.inFlight--
	s.s.mu.Unlock()
}

// inFlightRetryAfter is the RetryAfter of Begin's refusals.
const inFlightRetryAfter = time.Second

// Begin counts one more request in flight in namespace ns, until the
// Slot's Done, or returns an *Error (LimitInFlight) when this activator's
// share of ns's limit is taken already.
func (l *Limiter) Begin(ns string) (Slot, error) {
	if l == nil {
		return Slot{}, nil
	}
	sh := l.sharesOf(ns)
	if !sh.inFlightLimited {
		return Slot{}, nil
	}
	s := l.lock(ns, l.clock.Now())
	defer s.mu.Unlock()
	if s.inFlight >= sh.inFlight {
		return Slot{}, &Error{Namespace: ns, Limit: LimitInFlight, RetryAfter: inFlightRetryAfter}
	}
	s.inFlight++
	return Slot{s: s}, nil
}

// RangeInFlight calls f with the requests in flight of every namespace
// with a limit on them and recent traffic, in no particular order. f must
// not call the Limiter.
func (l *Limiter) RangeInFlight(f func(ns string, inFlight int64)) {
	l.mu.RLock()
	defer l.mu.RUnlock()
	for ns, s := range l.states {
		if !l.sharesOf(ns).inFlightLimited {
			continue
		}
		s.mu.Lock()
		n := s.inFlight
		s.mu.Unlock()
		f(ns, n)
	}
}

// lock returns namespace ns's state, created if need be, locked.
func (l *Limiter) lock(ns string, now time.Time) *state {
	l.maybeSweep(now)
	for {
		l.mu.RLock()
		s := l.states[ns]
		l.mu.RUnlock()
		if s == nil {
			l.mu.Lock()
			if s = l.states[ns]; s == nil {
				s = &state{}
				l.states[ns] = s
			}
			l.mu.Unlock()
		}
		s.mu.Lock()
		if !s.dead {
			return s
		}
		s.mu.Unlock() // forgotten in between: a new one is in the map
	}
}

// maybeSweep sweeps if a sweep period passed since the last.
func (l *Limiter) maybeSweep(now time.Time) {
	next := l.nextSweep.Load()
	if now.UnixNano() < next || !l.nextSweep.CompareAndSwap(next, now.Add(l.sweepPeriod).UnixNano()) {
		return
	}
	l.sweep(now)
}

// sweep forgets the state of every namespace with no request in flight
// and, if it has a rate limit, a full bucket: forgetting it loses nothing.
func (l *Limiter) sweep(now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for ns, s := range l.states {
		sh := l.sharesOf(ns)
		s.mu.Lock()
		if s.inFlight == 0 && (!sh.rateLimited || s.bucket.full(sh.rate, sh.size, now)) {
			s.dead = true
			delete(l.states, ns)
		}
		s.mu.Unlock()
	}
}
