package ratelimit

import (
	"time"
)

// recheck bounds how long a refusal from the owner is repeated here
// without asking it again.
const recheck = time.Second

// lease is what an activator holds of a key another activator owns:
// tokens the owner granted, spent here until they expire, and the owner's
// last refusal, repeated here until it would change. A batch is asked for
// when half the last one is spent, so that requests seldom wait for the
// owner.
type lease struct {
	ns      string
	tokens  int64
	expires time.Time
	// refusedUntil is when the owner is asked again after it granted
	// nothing; retryAt is when it said a token would be there.
	refusedUntil, retryAt time.Time
	// asking is set while a batch is asked for; ready is closed when the
	// answer is in.
	asking bool
	ready  chan struct{}
	// failed is set when the last ask got no answer.
	failed bool
	// low is the count of tokens at which the next batch is asked for.
	low int64
}

// spend takes a token if there is one; else it says how long the owner's
// refusal holds (wait > 0). ask is set when the caller must ask the owner
// for a batch (asking is then set); ready is closed once the batch in
// flight is in.
func (ls *lease) spend(now time.Time) (ok bool, wait time.Duration, ready chan struct{}, ask bool) {
	if !now.Before(ls.expires) {
		ls.tokens = 0
	}
	if ls.tokens > 0 {
		ls.tokens--
		ok = true
		if ls.tokens > ls.low {
			return true, 0, nil, false
		}
	} else if now.Before(ls.refusedUntil) {
		return false, max(ls.retryAt.Sub(now), time.Millisecond), nil, false
	}
	if !ls.asking {
		ls.asking, ls.ready, ask = true, make(chan struct{}), true
	}
	return ok, 0, ls.ready, ask
}

// spendAgain takes a token after a batch came in, or returns the owner's
// refusal.
func (ls *lease) spendAgain(now time.Time) (bool, time.Duration) {
	if ls.tokens > 0 && now.Before(ls.expires) {
		ls.tokens--
		return true, 0
	}
	return false, max(ls.retryAt.Sub(now), time.Millisecond)
}

// answered records the owner's answer to an ask (err != nil: none).
func (ls *lease) answered(now time.Time, granted int64, wait time.Duration, ttl time.Duration, failed bool) {
	ls.failed = failed
	switch {
	case failed:
	case granted > 0:
		if !now.Before(ls.expires) {
			ls.tokens = 0
		}
		ls.tokens += granted
		ls.expires = now.Add(ttl)
		ls.low = granted / 2
	default:
		ls.retryAt = now.Add(wait)
		ls.refusedUntil = now.Add(min(wait, recheck))
	}
	ls.asking = false
	close(ls.ready)
}

// idle reports whether forgetting ls changes nothing that matters: no
// tokens to spend, no refusal to repeat, no ask in flight.
func (ls *lease) idle(now time.Time) bool {
	return !ls.asking && (ls.tokens == 0 || !now.Before(ls.expires)) && !now.Before(ls.refusedUntil)
}

// batch is how many tokens to ask an owner for at once: a tenth of a
// second's worth, at most a share of the burst, at least one. What a lease
// holds unspent when traffic moves is what the limit can under-admit.
func batch(s Spec, count int) int64 {
	return max(1, min(int64(s.Rate/10), s.Burst/int64(2*max(1, count))))
}
