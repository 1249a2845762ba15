package tenant

import (
	"math"
	"time"
)

// bucket is a token bucket: it holds up to size tokens and gains rate
// tokens a second; a request takes one. The zero bucket is full: it was
// last filled at the zero time.
type bucket struct {
	tokens float64
	filled time.Time // when tokens was last brought up to date
}

// refill brings b's tokens up to date at now, for rate and size as they
// are now (a smaller size drops the tokens over it).
func (b *bucket) refill(rate, size float64, now time.Time) {
	if d := now.Sub(b.filled); d > 0 {
		b.tokens += d.Seconds() * rate
		b.filled = now
	}
	b.tokens = min(b.tokens, size)
}

// take takes one token at now if there is one. Otherwise it returns how
// long until there is, in whole seconds, at least one second (one second
// too when the rate is 0: another activator may have a share).
func (b *bucket) take(rate, size float64, now time.Time) (ok bool, retryAfter time.Duration) {
	b.refill(rate, size, now)
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	secs := 1.0
	if rate > 0 {
		secs = max(1, math.Ceil((1-b.tokens)/rate))
	}
	return false, time.Duration(secs) * time.Second
}

// full reports whether b would be full at now: forgetting it loses
// nothing, since a new bucket starts full.
func (b *bucket) full(rate, size float64, now time.Time) bool {
	return b.tokens+now.Sub(b.filled).Seconds()*rate >= size
}
