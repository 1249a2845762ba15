package delivery

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoff(t *testing.T) {
	const minB, maxB = time.Second, 10 * time.Second
	for _, tc := range []struct {
		failures int
		r        float64
		want     time.Duration
	}{
		{1, 0.999999, minB},       // the top of the first window
		{1, 0, minB / 2},          // equal jitter: never less than half
		{2, 0.999999, 2 * minB},   // doubles
		{3, 0.999999, 4 * minB},   // doubles again
		{4, 0.999999, 8 * minB},   // ...
		{5, 0.999999, maxB},       // capped
		{50, 0.999999, maxB},      // no overflow
		{50, 0, maxB / 2},         // jitter at the cap
		{0, 0.999999, minB},       // defensive: treated as the first
		{3, 0.5, 3 * time.Second}, // the middle of [2s, 4s]
	} {
		got := backoff(minB, maxB, tc.failures, tc.r)
		if d := got - tc.want; d < -time.Millisecond || d > time.Millisecond {
			t.Errorf("backoff(%d failures, r=%v) = %s, want %s", tc.failures, tc.r, got, tc.want)
		}
	}
}

func TestBackoffBounds(t *testing.T) {
	for f := 1; f < 70; f++ {
		for _, r := range []float64{0, 0.25, 0.5, 0.75, 0.999} {
			d := backoff(100*time.Millisecond, 60*time.Second, f, r)
			if d < 50*time.Millisecond || d > 60*time.Second {
				t.Fatalf("backoff(%d, %v) = %s out of [min/2, max]", f, r, d)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	for _, tc := range []struct {
		v      string
		want   time.Duration
		wantOK bool
	}{
		{"", 0, false},
		{"3", 3 * time.Second, true},
		{" 0 ", 0, true},
		{"-1", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999", 365 * 24 * time.Hour, true},
		{now.Add(7 * time.Second).Format(http.TimeFormat), 7 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
	} {
		got, ok := parseRetryAfter(tc.v, now)
		if got != tc.want || ok != tc.wantOK {
			t.Errorf("parseRetryAfter(%q) = %s, %v; want %s, %v", tc.v, got, ok, tc.want, tc.wantOK)
		}
	}
}
