package sim

import (
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

func load(t *testing.T, name string) Trace {
	t.Helper()
	tr, err := LoadTrace(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return tr
}

func spec(mut func(*decider.Spec)) decider.Spec {
	s := decider.Defaults()
	if mut != nil {
		mut(&s)
	}
	return s
}

func run(t *testing.T, tr Trace, cfg Config) Result {
	t.Helper()
	res, err := Run(tr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestSteadyLoadSettlesWithoutOscillation(t *testing.T) {
	tests := []struct {
		name    string
		initial int32
	}{
		{name: "from zero", initial: 0},
		{name: "from one pod", initial: 1},
		{name: "from too many pods", initial: 25},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := run(t, load(t, "steady70.csv"), Config{
				Spec:            spec(func(s *decider.Spec) { s.Target = 7 }),
				StartDelay:      3 * time.Second,
				InitialReplicas: tc.initial,
			})
			last := res.Steps[len(res.Steps)-1].Decision.DesiredReplicas
			if last != 10 {
				t.Fatalf("final decision = %d, want 10", last)
			}
			// Moving towards 10 at most once in each direction, then staying.
			changes := 0
			for i := 1; i < len(res.Steps); i++ {
				prev, cur := res.Steps[i-1].Decision.DesiredReplicas, res.Steps[i].Decision.DesiredReplicas
				if cur != prev {
					changes++
				}
				if (tc.initial <= 10 && cur < prev) || (tc.initial > 10 && cur > prev) {
					t.Errorf("second %d: decision went from %d to %d, away from 10", res.Steps[i].Second, prev, cur)
				}
				if res.Steps[i].Second >= 180 && cur != 10 {
					t.Errorf("second %d: decision %d after settling, want 10", res.Steps[i].Second, cur)
				}
			}
			if changes > 2 {
				t.Errorf("decision changed %d times, want at most 2", changes)
			}
		})
	}
}

func TestBurstPanics(t *testing.T) {
	tests := []struct {
		name    string
		initial int32
		min     int32
		tick    time.Duration
	}{
		{name: "at zero", initial: 0},
		{name: "at one pod with minScale", initial: 1, min: 1},
		// Deciding every second pins the end of panic to the second.
		{name: "at zero, deciding every second", initial: 0, tick: time.Second},
	}
	const burstAt = 120
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := Config{
				Spec: spec(func(s *decider.Spec) {
					s.ContainerConcurrency = 10
					s.MinScale = tc.min
				}),
				StartDelay:      5 * time.Second,
				TickInterval:    tc.tick,
				InitialReplicas: tc.initial,
			}
			res := run(t, load(t, "burst.csv"), cfg)
			var first *Step
			for i := range res.Steps {
				if res.Steps[i].Second >= burstAt {
					first = &res.Steps[i]
					break
				}
			}
			if first == nil || first.Second > burstAt+int(DefaultTickInterval/time.Second) {
				t.Fatalf("no decision right after the burst: %+v", first)
			}
			if !first.Decision.Panic || first.Decision.DesiredReplicas < 15 {
				t.Fatalf("first decision after the burst = %+v, want panic and >= 15 pods", first.Decision)
			}
			for i := 1; i < len(res.Steps); i++ {
				prev, cur := res.Steps[i-1].Decision, res.Steps[i].Decision
				if cur.Panic && cur.DesiredReplicas < prev.DesiredReplicas {
					t.Errorf("second %d: scaled down from %d to %d in panic", res.Steps[i].Second, prev.DesiredReplicas, cur.DesiredReplicas)
				}
			}
			checkPanicHold(t, res, cfg.Spec)
		})
	}
}

// checkPanicHold checks that panic mode, once the panic window's demand is
// below the threshold, lasts a whole stable window more without lowering
// the decision, and ends at the first decision after it.
func checkPanicHold(t *testing.T, res Result, s decider.Spec) {
	t.Helper()
	lastOver := -1
	for i, st := range res.Steps {
		if overThreshold(st, s) {
			lastOver = i
		}
	}
	if lastOver < 0 {
		t.Fatal("no decision over the panic threshold")
	}
	from := res.Steps[lastOver]
	if !from.Decision.Panic {
		t.Fatalf("second %d: over the threshold without panic: %+v", from.Second, from)
	}
	stable := int(s.StableWindow / time.Second)
	for _, st := range res.Steps[lastOver+1:] {
		// Calm began at the first decision after lastOver, at most one tick
		// later; panic holds through calm-start + stable window - 1 s.
		if st.Second-from.Second <= stable {
			if !st.Decision.Panic || st.Decision.DesiredReplicas < from.Decision.DesiredReplicas {
				t.Fatalf("second %d, %d s after the last decision over the threshold (second %d, %d pods): %+v, want panic holding",
					st.Second, st.Second-from.Second, from.Second, from.Decision.DesiredReplicas, st.Decision)
			}
			continue
		}
		if st.Decision.Panic {
			t.Fatalf("second %d, %d s after the last decision over the threshold (second %d): still in panic after the %d s stable window: %+v",
				st.Second, st.Second-from.Second, from.Second, stable, st.Decision)
		}
		return
	}
	t.Fatalf("the trace ends before panic does (last over the threshold at second %d)", from.Second)
}

// overThreshold reports whether the panic window's demand at st reached the
// panic threshold of the ready pods: the rule that starts and extends panic.
func overThreshold(st Step, s decider.Spec) bool {
	pods := math.Ceil(st.Decision.PanicConcurrency / s.TargetPerPod())
	ready := math.Max(1, float64(st.Input.ReadyPods))
	return pods/ready >= s.PanicThresholdPercentage/100
}

func TestLoadStopsStepsDownToZero(t *testing.T) {
	tests := []struct {
		name     string
		min      int32
		grace    time.Duration
		window   time.Duration
		wantLast int32
	}{
		{name: "defaults", wantLast: 0},
		{name: "minScale 3", min: 3, wantLast: 3},
		{name: "no grace period", grace: -1, wantLast: 0},
		// A short window drops the average at once: the 2x limit binds.
		{name: "6s stable window", window: 6 * time.Second, wantLast: 0},
	}
	const stopAt = 120
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := spec(func(s *decider.Spec) {
				s.ContainerConcurrency = 10
				s.MinScale = tc.min
				if tc.grace < 0 {
					s.ScaleToZeroGracePeriod = 0
				}
				if tc.window > 0 {
					s.StableWindow = tc.window
				}
			})
			res := run(t, load(t, "stop.csv"), Config{Spec: s, StartDelay: 2 * time.Second, InitialReplicas: 15})
			zeroNotBefore := stopAt + int((s.StableWindow+s.ScaleToZeroGracePeriod)/time.Second)
			for i := 1; i < len(res.Steps); i++ {
				prev, cur := res.Steps[i-1].Decision.DesiredReplicas, res.Steps[i].Decision.DesiredReplicas
				sec := res.Steps[i].Second
				if cur < tc.min {
					t.Errorf("second %d: decision %d below minScale %d", sec, cur, tc.min)
				}
				if prev > 1 && cur < (prev+1)/2 {
					t.Errorf("second %d: stepped down from %d to %d, more than 2x", sec, prev, cur)
				}
				if cur == 0 && sec < zeroNotBefore {
					t.Errorf("second %d: scaled to zero before %d", sec, zeroNotBefore)
				}
			}
			last := res.Steps[len(res.Steps)-1].Decision
			if last.DesiredReplicas != tc.wantLast {
				t.Errorf("final decision = %+v, want %d replicas", last, tc.wantLast)
			}
			if tc.wantLast == 0 {
				if last.Reason != decider.ReasonScaledToZero {
					t.Errorf("final reason = %q, want %q", last.Reason, decider.ReasonScaledToZero)
				}
				firstZero := -1
				for _, st := range res.Steps {
					if st.Decision.DesiredReplicas == 0 {
						firstZero = st.Second
						break
					}
				}
				if firstZero > zeroNotBefore+int(DefaultTickInterval/time.Second) {
					t.Errorf("scaled to zero at second %d, want right after %d", firstZero, zeroNotBefore)
				}
			}
		})
	}
}

// TestTraces replays every trace and reports what it cost; it checks only
// properties that hold for any trace.
func TestTraces(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.csv"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no traces: %v", err)
	}
	for _, f := range files {
		for _, delay := range []time.Duration{time.Second, 5 * time.Second} {
			name := strings.TrimSuffix(filepath.Base(f), ".csv") + "/start=" + delay.String()
			t.Run(name, func(t *testing.T) {
				tr := load(t, filepath.Base(f))
				res := run(t, tr, Config{Spec: spec(func(s *decider.Spec) { s.ContainerConcurrency = 10 }), StartDelay: delay})
				if len(res.Points) != len(tr) {
					t.Fatalf("%d points for %d seconds", len(res.Points), len(tr))
				}
				for _, p := range res.Points {
					if p.Demand > 0 && p.Desired == 0 {
						t.Errorf("second %d: demand %v with no pods decided", p.Second, p.Demand)
					}
				}
				t.Logf("max %d pods, %.0f pod-seconds, %.1f concurrency-seconds waited over %d s",
					res.MaxDesired, res.PodSeconds, res.WaitedDemand, res.WaitedSeconds)
			})
		}
	}
}

func TestParseTrace(t *testing.T) {
	tests := []struct {
		in      string
		want    Trace
		wantErr bool
	}{
		{in: "# c\n2,1.5\n\n1,0\n", want: Trace{1.5, 1.5, 0}},
		{in: "3", wantErr: true},
		{in: "x,1", wantErr: true},
		{in: "1,-1", wantErr: true},
		{in: "1,NaN", wantErr: true},
	}
	for _, tc := range tests {
		got, err := ParseTrace(strings.NewReader(tc.in))
		if (err != nil) != tc.wantErr {
			t.Fatalf("ParseTrace(%q) error = %v, wantErr %v", tc.in, err, tc.wantErr)
		}
		if !tc.wantErr && len(got) != len(tc.want) {
			t.Fatalf("ParseTrace(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range tc.want {
			if got[i] != tc.want[i] {
				t.Fatalf("ParseTrace(%q) = %v, want %v", tc.in, got, tc.want)
			}
		}
	}
}
