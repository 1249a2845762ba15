package decider

import (
	"math"
	"testing"
	"time"
)

func TestWindowAverages(t *testing.T) {
	type sample struct {
		sec int64
		v   float64
	}
	tests := []struct {
		name              string
		samples           []sample
		stable, panicWant float64
	}{
		{name: "no samples"},
		{name: "only zeros", samples: []sample{{100, 0}, {101, 0}}},
		{
			name:    "burst after idleness is not diluted",
			samples: []sample{{100, 0}, {101, 0}, {102, 0}, {103, 0}, {104, 0}, {105, 0}, {106, 10}},
			stable:  10, panicWant: 10,
		},
		{
			name:    "partial window averages over its own seconds",
			samples: []sample{{100, 10}, {101, 20}},
			stable:  15, panicWant: 15,
		},
		{
			name:    "zeros after demand count",
			samples: []sample{{100, 12}, {101, 0}, {102, 0}},
			stable:  4, panicWant: 4,
		},
		{
			name:    "gaps count as zero",
			samples: []sample{{100, 12}, {103, 0}},
			stable:  3, panicWant: 3,
		},
		{
			name:    "panic window covers the newest six seconds",
			samples: []sample{{100, 60}, {101, 0}, {102, 0}, {103, 0}, {104, 0}, {105, 6}, {106, 6}},
			stable:  10.285714, panicWant: 2,
		},
		{
			name:    "a later sample of the same second replaces the first",
			samples: []sample{{100, 5}, {100, 7}},
			stable:  7, panicWant: 7,
		},
		{
			name:    "older samples, negatives and NaN are ignored",
			samples: []sample{{100, 4}, {99, 100}, {100, -1}, {100, math.NaN()}},
			stable:  4, panicWant: 4,
		},
		{
			name:    "demand older than the window is forgotten",
			samples: []sample{{100, 50}, {160, 0}},
		},
		{
			name:    "panic window restarts while the stable one goes on",
			samples: []sample{{100, 60}, {101, 0}, {102, 0}, {103, 0}, {104, 0}, {105, 0}, {106, 0}, {107, 0}, {108, 30}},
			stable:  10, panicWant: 30,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := newWindow(60, 6)
			for _, s := range tc.samples {
				w.record(s.sec, s.v)
			}
			if got := w.stableAverage(); got != tc.stable {
				t.Errorf("stable average = %v, want %v", got, tc.stable)
			}
			if got := w.panicAverage(); got != tc.panicWant {
				t.Errorf("panic average = %v, want %v", got, tc.panicWant)
			}
		})
	}
}

func TestWindowResizeKeepsNewest(t *testing.T) {
	w := newWindow(10, 2)
	for s := int64(0); s < 10; s++ {
		w.record(1000+s, float64(s+1)) // 1..10
	}
	w.resize(4, 2)
	if got, want := w.stableAverage(), (7.0+8+9+10)/4; got != want {
		t.Errorf("after shrinking, stable average = %v, want %v", got, want)
	}
	w.resize(20, 2)
	w.record(1010, 11)
	// The four kept samples plus the new one; the earlier seconds count as
	// zeros back to the run start.
	if got, want := w.stableAverage(), (7.0+8+9+10+11)/11; math.Abs(got-want) > 1e-6 {
		t.Errorf("after growing, stable average = %v, want %v", got, want)
	}
}

func TestMaxWindow(t *testing.T) {
	t0 := time.Unix(1000, 0)
	m := &maxWindow{d: 4 * time.Second}
	steps := []struct {
		at   time.Duration
		v    int32
		want int32
	}{
		{0, 5, 5},
		{2 * time.Second, 3, 5},
		{4 * time.Second, 1, 3}, // 5 is 4 s old: out of (now-4s, now]
		{6 * time.Second, 2, 2},
		{8 * time.Second, 9, 9},
		{10 * time.Second, 0, 9},
		{12 * time.Second, 0, 0},
	}
	for _, s := range steps {
		if got := m.record(t0.Add(s.at), s.v); got != s.want {
			t.Fatalf("at +%v record(%d) = %d, want %d", s.at, s.v, got, s.want)
		}
	}
	if len(m.q) > 2 {
		t.Errorf("deque holds %d entries, want it trimmed", len(m.q))
	}
}
