package decider

import (
	"math"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"
)

// driver feeds a Decider one sample per second from a fake clock.
type driver struct {
	t     *testing.T
	clock *clocktesting.FakeClock
	d     *Decider
}

func newDriver(t *testing.T, mutate func(*Spec)) *driver {
	t.Helper()
	s := Defaults()
	if mutate != nil {
		mutate(&s)
	}
	d, err := New(s)
	if err != nil {
		t.Fatal(err)
	}
	return &driver{t: t, clock: clocktesting.NewFakeClock(time.Unix(1_764_000_000, 0)), d: d}
}

// feed records v for n seconds, advancing the clock after each.
func (dr *driver) feed(n int, v float64) {
	for range n {
		dr.clock.Step(time.Second)
		dr.d.Record(dr.clock.Now(), v)
	}
}

func (dr *driver) decide(ready, current int32) Decision {
	return dr.d.Decide(dr.clock.Now(), Input{ReadyPods: ready, CurrentScale: current})
}

func TestDecideEdgeCases(t *testing.T) {
	tests := []struct {
		name          string
		mutate        func(*Spec)
		run           func(dr *driver) Decision
		want          int32
		wantReason    Reason
		wantPanic     bool
		checkMaxPanic bool
	}{
		{
			name:       "no samples keeps the current scale",
			run:        func(dr *driver) Decision { return dr.decide(3, 3) },
			want:       3,
			wantReason: ReasonNoData,
		},
		{
			name:       "no samples still honours minScale",
			mutate:     func(s *Spec) { s.MinScale = 4 },
			run:        func(dr *driver) Decision { return dr.decide(3, 3) },
			want:       4,
			wantReason: ReasonMinScale,
		},
		{
			name: "stale samples keep the current scale",
			run: func(dr *driver) Decision {
				dr.feed(10, 50)
				dr.clock.Step(StaleAfter + time.Second)
				return dr.decide(2, 2)
			},
			want:       2,
			wantReason: ReasonNoData,
		},
		{
			name: "first request at zero wakes to one pod",
			run: func(dr *driver) Decision {
				dr.feed(1, 1)
				return dr.decide(0, 0)
			},
			want:       1,
			wantReason: ReasonStable,
		},
		{
			name:   "first request at zero wakes to initialScale",
			mutate: func(s *Spec) { s.InitialScale = 3 },
			run: func(dr *driver) Decision {
				dr.feed(1, 1)
				return dr.decide(0, 0)
			},
			want:       3,
			wantReason: ReasonActivating,
		},
		{
			name:   "initialScale 0 still wakes one pod",
			mutate: func(s *Spec) { s.InitialScale = 0 },
			run: func(dr *driver) Decision {
				dr.feed(1, 1)
				return dr.decide(0, 0)
			},
			want:       1,
			wantReason: ReasonStable,
		},
		{
			name:   "initialScale held until ready",
			mutate: func(s *Spec) { s.InitialScale = 3 },
			run: func(dr *driver) Decision {
				dr.decide(0, 0)
				dr.feed(70, 0) // idle at zero for longer than a stable window
				dr.feed(1, 1)
				dr.decide(0, 0)
				dr.feed(2, 1)
				return dr.decide(1, 3)
			},
			want:       3,
			wantReason: ReasonActivating,
		},
		{
			name:   "maxScale caps initialScale",
			mutate: func(s *Spec) { s.InitialScale = 5; s.MaxScale = 2 },
			run: func(dr *driver) Decision {
				dr.feed(1, 1)
				return dr.decide(0, 0)
			},
			want:       2,
			wantReason: ReasonMaxScale,
		},
		{
			name:   "maxScale caps panic",
			mutate: func(s *Spec) { s.ContainerConcurrency = 10; s.MaxScale = 4 },
			run: func(dr *driver) Decision {
				dr.feed(1, 1000)
				return dr.decide(1, 1)
			},
			want:       4,
			wantReason: ReasonMaxScale,
			wantPanic:  true,
		},
		{
			// 20 pods' worth on 10 ready: exactly the 200% threshold.
			name:   "panic window demand at exactly the threshold enters panic",
			mutate: func(s *Spec) { s.Target = 1 },
			run: func(dr *driver) Decision {
				dr.feed(1, 20)
				return dr.decide(10, 10)
			},
			want:       20,
			wantReason: ReasonPanic,
			wantPanic:  true,
		},
		{
			// 19 pods' worth on 10 ready: 190%, the nearest pod count below.
			name:   "panic window demand just below the threshold does not",
			mutate: func(s *Spec) { s.Target = 1 },
			run: func(dr *driver) Decision {
				dr.feed(1, 19)
				return dr.decide(10, 10)
			},
			want:       19,
			wantReason: ReasonStable,
		},
		{
			// The threshold is a setting: 150% of 10 ready pods is 15.
			name:   "a lowered threshold is entered at exactly its value",
			mutate: func(s *Spec) { s.Target = 1; s.PanicThresholdPercentage = 150 },
			run: func(dr *driver) Decision {
				dr.feed(1, 15)
				return dr.decide(10, 10)
			},
			want:       15,
			wantReason: ReasonPanic,
			wantPanic:  true,
		},
		{
			// Pods that take longer to start than the windows: a new
			// revision is not scaled to zero before it has served.
			name: "a new revision is held at its initial scale until a pod is ready",
			mutate: func(s *Spec) {
				s.InitialScale = 2
				s.StableWindow = 6 * time.Second
				s.ScaleToZeroGracePeriod = 0
			},
			run: func(dr *driver) Decision {
				dr.decide(0, 2)
				dr.feed(60, 0)
				return dr.decide(1, 2)
			},
			want:       2,
			wantReason: ReasonActivating,
		},
		{
			// The scaler cut it to zero (its namespace is at its maxPods):
			// it waits for its pods rather than fail to start.
			name: "a new revision cut to zero still asks for its initial scale",
			mutate: func(s *Spec) {
				s.StableWindow = 6 * time.Second
				s.ScaleToZeroGracePeriod = 0
			},
			run: func(dr *driver) Decision {
				dr.decide(0, 1)
				dr.feed(60, 0)
				return dr.decide(0, 0)
			},
			want:       1,
			wantReason: ReasonActivating,
		},
		{
			name: "a new revision scales to zero as usual once its initial scale was ready",
			mutate: func(s *Spec) {
				s.StableWindow = 6 * time.Second
				s.ScaleToZeroGracePeriod = 0
			},
			run: func(dr *driver) Decision {
				dr.decide(0, 1)
				dr.feed(3, 0)
				dr.decide(1, 1)
				dr.feed(10, 0)
				return dr.decide(1, 1)
			},
			want:       0,
			wantReason: ReasonScaledToZero,
		},
		{
			name: "scale-up rate bounds the jump",
			mutate: func(s *Spec) {
				s.ContainerConcurrency = 1
				s.TargetUtilizationPercentage = 100
				s.MaxScaleUpRate = 3
			},
			run: func(dr *driver) Decision {
				dr.feed(1, 50)
				return dr.decide(2, 2)
			},
			want:       6,
			wantReason: ReasonPanic,
			wantPanic:  true,
		},
		{
			name:   "scale-down rate: at most halved, rounding up",
			mutate: func(s *Spec) { s.StableWindow = 6 * time.Second },
			run: func(dr *driver) Decision {
				dr.decide(5, 5)
				dr.feed(10, 300)
				dr.feed(20, 0)
				return dr.decide(5, 5)
			},
			want:       3,
			wantReason: ReasonStable,
		},
		{
			name:   "infinite concurrency is bounded, not NaN",
			mutate: func(s *Spec) { s.MaxScale = 50 },
			run: func(dr *driver) Decision {
				dr.feed(1, math.Inf(1))
				return dr.decide(1, 1)
			},
			want:       50,
			wantReason: ReasonMaxScale,
			wantPanic:  true,
		},
		{
			name: "NaN and negative samples are ignored",
			run: func(dr *driver) Decision {
				dr.feed(70, 140)
				dr.d.Record(dr.clock.Now(), math.NaN())
				dr.d.Record(dr.clock.Now(), -5)
				return dr.decide(2, 2)
			},
			want:       2,
			wantReason: ReasonStable,
		},
		{
			name: "a new leader does not scale down before a stable window",
			run: func(dr *driver) Decision {
				dr.feed(300, 0) // collected while standby: no demand at all
				return dr.decide(5, 5)
			},
			want:       5,
			wantReason: ReasonCollectingHistory,
		},
		{
			name: "the grace period keeps one pod",
			run: func(dr *driver) Decision {
				dr.decide(0, 1)
				dr.feed(70, 0)
				return dr.decide(1, 1)
			},
			want:       1,
			wantReason: ReasonAwaitingScaleToZero,
		},
		{
			name: "a revision at zero with no demand stays at zero",
			run: func(dr *driver) Decision {
				dr.feed(5, 0)
				return dr.decide(0, 0)
			},
			want:       0,
			wantReason: ReasonScaledToZero,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dr := newDriver(t, tc.mutate)
			got := tc.run(dr)
			if got.DesiredReplicas != tc.want || got.Reason != tc.wantReason || got.Panic != tc.wantPanic {
				t.Errorf("decision = %+v, want %d replicas, reason %q, panic %v", got, tc.want, tc.wantReason, tc.wantPanic)
			}
		})
	}
}

func TestFailoverHoldsThenScalesDown(t *testing.T) {
	dr := newDriver(t, func(s *Spec) { s.Target = 10 })
	dr.feed(120, 20) // history collected by a standby: 2 pods' worth
	for i := 0; i < 30; i++ {
		d := dr.decide(8, 8)
		if d.DesiredReplicas != 8 {
			t.Fatalf("decision %d after failover = %+v, want 8 held", i, d)
		}
		dr.feed(2, 20)
	}
	if d := dr.decide(8, 8); d.DesiredReplicas != 4 || d.Reason != ReasonStable {
		t.Fatalf("after a stable window, decision = %+v, want 4 (halved)", d)
	}
}

// TestPanicEndsAfterStableWindow pins panic mode's hold: once the panic
// window's demand falls below the threshold, panic lasts a whole stable
// window more, never lowering the decision, and ends right after it.
func TestPanicEndsAfterStableWindow(t *testing.T) {
	const target = 7.0 // ContainerConcurrency 10 at 70%
	dr := newDriver(t, func(s *Spec) { s.ContainerConcurrency = 10 })
	stable := dr.d.Spec().StableWindow
	dr.decide(0, 1)
	dr.feed(61, 7)
	if d := dr.decide(1, 1); d.Panic || d.DesiredReplicas != 1 {
		t.Fatalf("before the burst: %+v", d)
	}
	// Ten times the ready pod's target for 5 s while new pods start: every
	// tick is over the threshold.
	top := int32(1)
	for i := range 5 {
		dr.feed(1, 70)
		d := dr.decide(1, top)
		if !d.Panic || d.DesiredReplicas < max(top, 2) {
			t.Fatalf("burst second %d: %+v, want panic at >= %d", i, d, max(top, 2))
		}
		top = d.DesiredReplicas
	}
	// The pods are ready and demand is back to 7: calm from the next tick on.
	calmFrom := dr.clock.Now().Add(time.Second)
	for {
		dr.feed(1, 7)
		now := dr.clock.Now()
		d := dr.decide(top, top)
		if pods := math.Ceil(d.PanicConcurrency / target); pods >= 2*float64(top) {
			t.Fatalf("%v: panic window needs %v pods of %d ready: not calm, the test's premise is broken", now, pods, top)
		}
		calm := now.Sub(calmFrom)
		if calm <= stable-time.Second {
			// Up to calm-start + stable window - 1 s: still panic, holding.
			if !d.Panic || d.Reason != ReasonPanic || d.DesiredReplicas < top {
				t.Fatalf("calm for %v of a %v stable window: %+v, want panic holding %d", calm, stable, d, top)
			}
			continue
		}
		// Just after the stable window: panic is over and the decision falls.
		if d.Panic || d.DesiredReplicas >= top {
			t.Fatalf("calm for %v, past the %v stable window: %+v, want panic over and below %d", calm, stable, d, top)
		}
		return
	}
}

func TestScaleDownDelayHoldsTheMaximum(t *testing.T) {
	const delay = 20 * time.Second
	plain := newDriver(t, func(s *Spec) { s.Target = 7 })
	delayed := newDriver(t, func(s *Spec) { s.Target = 7; s.ScaleDownDelay = delay })
	type point struct {
		at time.Time
		n  int32
	}
	var history []point
	held := false
	for i := 0; i < 120; i++ {
		load := 70.0
		if i >= 40 {
			load = 0
		}
		plain.feed(2, load)
		delayed.feed(2, load)
		// Same input for both, so that only the delay differs.
		p := plain.decide(10, 10)
		d := delayed.decide(10, 10)
		now := plain.clock.Now()
		history = append(history, point{now, p.DesiredReplicas})
		want := int32(0)
		for _, h := range history {
			if now.Sub(h.at) < delay {
				want = max(want, h.n)
			}
		}
		if d.DesiredReplicas != want {
			t.Fatalf("step %d: delayed decision %+v, want %d (max of the last %v of %v)", i, d, want, delay, history)
		}
		if d.DesiredReplicas > p.DesiredReplicas {
			held = true
			if d.Reason != ReasonScaleDownDelay {
				t.Errorf("step %d: reason %q, want %q", i, d.Reason, ReasonScaleDownDelay)
			}
		}
	}
	if !held {
		t.Fatal("the delay never held a decision up")
	}
}

func TestSetSpec(t *testing.T) {
	dr := newDriver(t, func(s *Spec) { s.Target = 10 })
	dr.decide(0, 4)
	dr.feed(61, 40)
	if d := dr.decide(4, 4); d.DesiredReplicas != 4 {
		t.Fatalf("target 10: %+v, want 4", d)
	}
	s := dr.d.Spec()
	s.Target = 5
	s.StableWindow = 30 * time.Second
	if err := dr.d.SetSpec(s); err != nil {
		t.Fatal(err)
	}
	if d := dr.decide(4, 4); d.DesiredReplicas != 8 || d.StableConcurrency != 40 {
		t.Fatalf("target 5, shorter window: %+v, want 8 from the kept history", d)
	}
	bad := s
	bad.MaxScaleDownRate = 0
	if err := dr.d.SetSpec(bad); err == nil {
		t.Fatal("SetSpec accepted an invalid spec")
	}
	if dr.d.Spec() != s {
		t.Fatal("an invalid spec replaced the valid one")
	}
}
