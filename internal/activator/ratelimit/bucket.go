package ratelimit

import (
	"math"
	"time"
)

// Period is the calendar period of a quota, in UTC.
type Period string

// The periods of a quota.
const (
	Day   Period = "Day"
	Month Period = "Month"
)

// Spec is one limit's numbers: a token bucket of Burst tokens refilled at
// Rate tokens per second, and a quota of Quota requests per Period (0 has
// none).
type Spec struct {
	Rate   float64 `json:"r"`
	Burst  int64   `json:"b"`
	Quota  int64   `json:"q,omitempty"`
	Period Period  `json:"p,omitempty"`
}

// valid reports whether s can be counted: peers send specs, so they are
// checked.
func (s Spec) valid() bool {
	if !(s.Rate > 0) || math.IsInf(s.Rate, 0) || s.Burst < 1 || s.Quota < 0 {
		return false
	}
	switch s.Period {
	case "":
		return s.Quota == 0
	case Day, Month:
		return s.Quota > 0
	}
	return false
}

// periodEnd returns when the quota period holding now ends.
func (s Spec) periodEnd(now time.Time) time.Time {
	y, m, d := now.UTC().Date()
	if s.Period == Month {
		return time.Date(y, m+1, 1, 0, 0, 0, 0, time.UTC)
	}
	return time.Date(y, m, d+1, 0, 0, 0, 0, time.UTC)
}

// bucket is the count of one key of one limit.
type bucket struct {
	tokens    float64
	last      time.Time
	used      int64     // of the quota, in the period ending at periodEnd
	periodEnd time.Time // zero without a quota
}

// newBucket returns a full bucket.
func newBucket(s Spec, now time.Time) *bucket {
	b := &bucket{tokens: float64(s.Burst), last: now}
	if s.Quota > 0 {
		b.periodEnd = s.periodEnd(now)
	}
	return b
}

// refill adds the tokens earned since the last call and starts a new quota
// period once the last one ended.
func (b *bucket) refill(s Spec, now time.Time) {
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = math.Min(float64(s.Burst), b.tokens+dt.Seconds()*s.Rate)
		b.last = now
	}
	if s.Quota > 0 && !now.Before(b.periodEnd) {
		b.used, b.periodEnd = 0, s.periodEnd(now)
	}
}

// take grants up to want requests at now. With none granted, wait is how
// long until one would be: the next token, or the next quota period.
func (b *bucket) take(s Spec, want int64, now time.Time) (granted int64, wait time.Duration) {
	b.refill(s, now)
	avail := int64(b.tokens)
	if s.Quota > 0 {
		avail = min(avail, s.Quota-b.used)
	}
	granted = max(0, min(want, avail))
	if granted > 0 {
		b.tokens -= float64(granted)
		if s.Quota > 0 {
			b.used += granted
		}
		return granted, 0
	}
	if s.Quota > 0 && b.used >= s.Quota {
		return 0, b.periodEnd.Sub(now)
	}
	return 0, time.Duration((1 - b.tokens) / s.Rate * float64(time.Second))
}

// idle reports whether forgetting b changes nothing: its bucket is full and
// no quota is used in the current period.
func (b *bucket) idle(s Spec, now time.Time) bool {
	b.refill(s, now)
	return b.tokens >= float64(s.Burst) && b.used == 0
}
