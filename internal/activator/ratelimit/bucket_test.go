package ratelimit

import (
	"testing"
	"time"
)

var t0 = time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC)

func TestBucketTake(t *testing.T) {
	perSec := Spec{Rate: 10, Burst: 5}
	daily := Spec{Rate: 1000, Burst: 1000, Quota: 3, Period: Day}
	monthly := Spec{Rate: 1000, Burst: 1000, Quota: 2, Period: Month}
	type step struct {
		at          time.Duration // since t0
		want        int64
		granted     int64
		wait        time.Duration // when none granted
		waitAtLeast bool          // wait is only a lower bound
	}
	tests := []struct {
		name  string
		spec  Spec
		steps []step
	}{
		{"the burst at once, then one per tenth of a second", perSec, []step{
			{0, 5, 5, 0, false},
			{0, 1, 0, 100 * time.Millisecond, false},
			{50 * time.Millisecond, 1, 0, 50 * time.Millisecond, false},
			{100 * time.Millisecond, 2, 1, 0, false},
		}},
		{"a batch is cut to what is there", perSec, []step{
			{0, 3, 3, 0, false},
			{0, 3, 2, 0, false},
		}},
		{"the bucket never holds more than the burst", perSec, []step{
			{0, 5, 5, 0, false},
			{time.Hour, 10, 5, 0, false},
		}},
		{"a daily quota runs out, then resets at midnight UTC", daily, []step{
			{0, 2, 2, 0, false},
			{0, 5, 1, 0, false},
			{time.Second, 1, 0, time.Second, false},
			{2 * time.Second, 1, 1, 0, false},
		}},
		{"a monthly quota resets on the first", monthly, []step{
			{-20 * 24 * time.Hour, 2, 2, 0, false},
			{-19 * 24 * time.Hour, 1, 0, 19*24*time.Hour + 2*time.Second, false},
			{2 * time.Second, 1, 1, 0, false},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b := newBucket(tc.spec, t0.Add(tc.steps[0].at))
			for i, st := range tc.steps {
				g, wait := b.take(tc.spec, st.want, t0.Add(st.at))
				if g != st.granted {
					t.Fatalf("step %d: granted %d, want %d", i, g, st.granted)
				}
				if g == 0 && wait != st.wait {
					t.Fatalf("step %d: wait %v, want %v", i, wait, st.wait)
				}
			}
		})
	}
}

func TestBucketIdle(t *testing.T) {
	s := Spec{Rate: 1, Burst: 2, Quota: 10, Period: Day}
	b := newBucket(s, t0.Add(-time.Hour))
	if !b.idle(s, t0.Add(-time.Hour)) {
		t.Fatal("a new bucket is not idle")
	}
	b.take(s, 1, t0.Add(-time.Hour))
	if b.idle(s, t0.Add(-time.Hour+10*time.Second)) {
		t.Fatal("a bucket with quota used today is idle")
	}
	if !b.idle(s, t0.Add(10*time.Second)) {
		t.Fatal("a full bucket is not idle once its quota period ended")
	}
}

func TestSpecValid(t *testing.T) {
	tests := []struct {
		s    Spec
		want bool
	}{
		{Spec{Rate: 1, Burst: 1}, true},
		{Spec{Rate: 1, Burst: 1, Quota: 5, Period: Month}, true},
		{Spec{Rate: 0, Burst: 1}, false},
		{Spec{Rate: -1, Burst: 1}, false},
		{Spec{Rate: 1, Burst: 0}, false},
		{Spec{Rate: 1, Burst: 1, Quota: 5}, false},
		{Spec{Rate: 1, Burst: 1, Period: Day}, false},
		{Spec{Rate: 1, Burst: 1, Quota: 5, Period: "Week"}, false},
	}
	for _, tc := range tests {
		if got := tc.s.valid(); got != tc.want {
			t.Errorf("%+v valid = %v, want %v", tc.s, got, tc.want)
		}
	}
}
