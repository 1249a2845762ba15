package decider

import (
	"testing"
	"time"
)

// step is one decision of a scenario: feed seconds of load, let quiet
// seconds pass without samples, then decide.
type step struct {
	feed       int     // seconds of samples before the decision
	load       float64 // the samples' concurrency
	quiet      int     // seconds without samples (no activator reports) after them
	in         Input
	want       int32
	wantReason Reason
	wantPanic  bool
}

// reachable and unreachable are the inputs of a reachable and of an
// unreachable revision.
func reachable(ready, current int32) Input { return Input{ReadyPods: ready, CurrentScale: current} }

func unreachable(ready, current int32) Input {
	return Input{ReadyPods: ready, CurrentScale: current, Unreachable: true}
}

// TestDecideReachability: the driver's clock starts at T0 and every step's
// comment gives the time of its decision. Each scenario decides at T0
// first (NoData), so that CollectingHistory is over when it matters.
func TestDecideReachability(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Spec)
		steps  []step
	}{
		{
			// Pending and unknown reachability reach the decider as
			// reachable too.
			name:   "reachable, pending or unknown: minScale holds",
			mutate: func(s *Spec) { s.MinScale = 1 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 200, in: reachable(1, 1), want: 1, wantReason: ReasonMinScale}, // T0+200
			},
		},
		{
			name:   "unreachable and idle: one pod until the grace period after it became unreachable",
			mutate: func(s *Spec) { s.MinScale = 1 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 200, in: reachable(1, 1), want: 1, wantReason: ReasonMinScale},
				{in: unreachable(1, 1), want: 1, wantReason: ReasonAwaitingScaleToZero},           // T0+200
				{feed: 29, in: unreachable(1, 1), want: 1, wantReason: ReasonAwaitingScaleToZero}, // T0+229
				{feed: 1, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},          // T0+230
				{feed: 10, in: unreachable(0, 0), want: 0, wantReason: ReasonUnreachable},
			},
		},
		{
			name:   "unreachable with demand in flight: zero a grace period after the last demand",
			mutate: func(s *Spec) { s.Target = 10 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 100, load: 10, in: reachable(1, 1), want: 1, wantReason: ReasonStable},
				{in: unreachable(1, 1), want: 1, wantReason: ReasonStable},                     // T0+100
				{feed: 40, load: 10, in: unreachable(1, 1), want: 1, wantReason: ReasonStable}, // T0+140: demand goes on
				{feed: 30, in: unreachable(1, 1), want: 1, wantReason: ReasonStable},           // T0+170: quiet since T0+141
				{feed: 1, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},       // T0+171
			},
		},
		{
			name:   "unreachable with minScale 3 and no demand: scales down, then to zero",
			mutate: func(s *Spec) { s.MinScale = 3 },
			steps: []step{
				{in: reachable(3, 3), want: 3, wantReason: ReasonNoData},
				{feed: 200, in: reachable(3, 3), want: 3, wantReason: ReasonMinScale},
				{in: unreachable(3, 3), want: 2, wantReason: ReasonStable}, // T0+200: halved, rounding up
				{feed: 2, in: unreachable(2, 2), want: 1, wantReason: ReasonStable},
				{feed: 2, in: unreachable(1, 1), want: 1, wantReason: ReasonAwaitingScaleToZero},
				{feed: 26, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable}, // T0+230
			},
		},
		{
			name:   "grace period 0: an idle unreachable revision goes to zero at once",
			mutate: func(s *Spec) { s.MinScale = 1; s.ScaleToZeroGracePeriod = 0 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 200, in: reachable(1, 1), want: 1, wantReason: ReasonMinScale},
				{in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},
			},
		},
		{
			name:   "grace period 0: demand in the current second holds a pod",
			mutate: func(s *Spec) { s.Target = 10; s.ScaleToZeroGracePeriod = 0 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 100, load: 10, in: unreachable(1, 1), want: 1, wantReason: ReasonStable}, // T0+100
				{feed: 1, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},        // T0+101
			},
		},
		{
			name: "a new decider, collecting history, still takes an unreachable revision to zero",
			steps: []step{
				{feed: 300, in: unreachable(5, 5), want: 5, wantReason: ReasonCollectingHistory}, // T0+300: first decision
				{feed: 29, in: unreachable(5, 5), want: 5, wantReason: ReasonCollectingHistory},
				{feed: 1, in: unreachable(5, 5), want: 0, wantReason: ReasonUnreachable}, // T0+330
			},
		},
		{
			name:   "reachable again: minScale at once",
			mutate: func(s *Spec) { s.MinScale = 2 },
			steps: []step{
				{in: reachable(2, 2), want: 2, wantReason: ReasonNoData},
				{feed: 200, in: unreachable(2, 2), want: 1, wantReason: ReasonStable},
				{feed: 30, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},
				{feed: 1, in: reachable(0, 0), want: 2, wantReason: ReasonMinScale},
			},
		},
		{
			name:   "reachable again with demand: activation holds initialScale",
			mutate: func(s *Spec) { s.Target = 10; s.MinScale = 1; s.InitialScale = 3 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 200, in: unreachable(1, 1), want: 1, wantReason: ReasonAwaitingScaleToZero},
				{feed: 30, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},
				{feed: 1, load: 5, in: reachable(0, 0), want: 3, wantReason: ReasonActivating},
				{feed: 1, load: 5, in: reachable(1, 3), want: 3, wantReason: ReasonActivating},
			},
		},
		{
			name:   "a request at an unreachable revision at zero wakes it, and it goes back to zero",
			mutate: func(s *Spec) { s.Target = 10 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 200, in: unreachable(1, 1), want: 1, wantReason: ReasonAwaitingScaleToZero},
				{feed: 30, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},
				{feed: 1, load: 5, in: unreachable(0, 0), want: 1, wantReason: ReasonStable}, // T0+231
				{feed: 30, in: unreachable(1, 1), want: 1, wantReason: ReasonStable},         // quiet since T0+232
				{feed: 1, in: unreachable(1, 1), want: 0, wantReason: ReasonUnreachable},     // T0+262
			},
		},
		{
			name:   "maxScale bounds an unreachable revision",
			mutate: func(s *Spec) { s.Target = 10; s.MaxScale = 2 },
			steps: []step{
				{feed: 1, load: 100, in: unreachable(1, 1), want: 2, wantReason: ReasonMaxScale, wantPanic: true},
			},
		},
		{
			name:   "no data while unreachable: the current scale, below minScale and past the grace period",
			mutate: func(s *Spec) { s.MinScale = 3 },
			steps: []step{
				{in: unreachable(1, 1), want: 1, wantReason: ReasonNoData},
				{in: reachable(1, 1), want: 3, wantReason: ReasonMinScale}, // the same, reachable
				{feed: 200, in: reachable(3, 3), want: 3, wantReason: ReasonMinScale},
				{quiet: 60, in: unreachable(3, 3), want: 3, wantReason: ReasonNoData}, // T0+260
				{quiet: 60, in: unreachable(3, 3), want: 3, wantReason: ReasonNoData}, // T0+320
			},
		},
		{
			name:   "going to zero ends the scale-down delay: it brings nothing back once reachable",
			mutate: func(s *Spec) { s.Target = 10; s.ScaleDownDelay = 2 * time.Minute },
			steps: []step{
				{in: reachable(5, 5), want: 5, wantReason: ReasonNoData},
				{feed: 100, load: 50, in: unreachable(5, 5), want: 5, wantReason: ReasonStable}, // T0+100
				{feed: 30, in: unreachable(5, 5), want: 5, wantReason: ReasonScaleDownDelay},    // T0+130
				{feed: 1, in: unreachable(5, 5), want: 0, wantReason: ReasonUnreachable},        // T0+131
				{feed: 34, in: reachable(0, 0), want: 0, wantReason: ReasonScaledToZero},        // T0+165: within the delay
			},
		},
		{
			name:   "going to zero ends panic mode: it brings nothing back once reachable",
			mutate: func(s *Spec) { s.Target = 10 },
			steps: []step{
				{in: reachable(1, 1), want: 1, wantReason: ReasonNoData},
				{feed: 61, load: 10, in: reachable(1, 1), want: 1, wantReason: ReasonStable},
				{feed: 1, load: 100, in: unreachable(1, 1), want: 3, wantReason: ReasonPanic, wantPanic: true}, // T0+62
				{feed: 31, in: unreachable(3, 3), want: 0, wantReason: ReasonUnreachable},                      // T0+93
				{feed: 1, in: reachable(0, 0), want: 1, wantReason: ReasonStable},                              // the stable average's one pod
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dr := newDriver(t, tc.mutate)
			for i, s := range tc.steps {
				dr.feed(s.feed, s.load)
				dr.clock.Step(time.Duration(s.quiet) * time.Second)
				got := dr.d.Decide(dr.clock.Now(), s.in)
				if got.DesiredReplicas != s.want || got.Reason != s.wantReason || got.Panic != s.wantPanic {
					t.Fatalf("step %d (%+v): decision = %+v, want %d replicas, reason %q, panic %v",
						i, s.in, got, s.want, s.wantReason, s.wantPanic)
				}
			}
		})
	}
}
