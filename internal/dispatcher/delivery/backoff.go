package delivery

import (
	"net/http"
	"strconv"
	"strings"
	"time"
)

// backoff is the wait after failures failed attempts (failures >= 1):
// minB doubled for each failure after the first, capped at maxB, with
// "equal jitter": the wait is drawn uniformly from [d/2, d] by r in [0, 1).
// It is pure: the caller supplies the random number.
func backoff(minB, maxB time.Duration, failures int, r float64) time.Duration {
	if failures < 1 {
		failures = 1
	}
	d := minB
	for i := 1; i < failures && d < maxB; i++ {
		d *= 2
	}
	d = min(d, maxB)
	return jitter(d, r)
}

// jitter draws a wait uniformly from [d/2, d] by r in [0, 1).
func jitter(d time.Duration, r float64) time.Duration {
	r = min(max(r, 0), 1)
	half := d / 2
	return half + time.Duration(float64(d-half)*r)
}

// parseRetryAfter reads a Retry-After header value: delay-seconds or an
// HTTP-date (RFC 9110 §10.2.3), relative to now. ok is false when v is
// empty or neither form; a date in the past is a wait of zero.
func parseRetryAfter(v string, now time.Time) (wait time.Duration, ok bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if secs, err := strconv.ParseInt(v, 10, 64); err == nil {
		if secs < 0 {
			return 0, false
		}
		// Bound before multiplying: a huge value must not overflow.
		const maxSecs = int64(365 * 24 * 3600)
		return time.Duration(min(secs, maxSecs)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}
