package scaler

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/config/defaults"
)

func TestTickWritesOnlyOnChange(t *testing.T) {
	e := newEnv(t, specWith(func(s *decider.Spec) { s.Target = 10 }), deployment(depName, 1, 1))
	e.stats.set(rev, 5)
	e.run(90 * time.Second)
	if w := e.drain(); len(w) != 0 {
		t.Fatalf("writes while the decision equals the scale: %+v", w)
	}
	if got := e.status.all(); len(got) != 1 || got[0].DesiredReplicas != 1 {
		t.Fatalf("status records = %+v, want one with 1 replica", got)
	}

	e.stats.set(rev, 35) // 4 pods' worth
	for range 30 {
		e.run(2 * time.Second)
		e.setReady(e.replicas()) // pods start at once
	}
	writes := e.drain()
	if len(writes) == 0 {
		t.Fatal("no write after demand rose")
	}
	for i := 1; i < len(writes); i++ {
		if writes[i].replicas == writes[i-1].replicas {
			t.Errorf("write %d repeats %d replicas", i, writes[i].replicas)
		}
	}
	if got := e.replicas(); got != 4 {
		t.Errorf("replicas = %d, want 4", got)
	}
	if got := testutil.ToFloat64(e.s.metrics.desired.WithLabelValues(rev.Namespace, rev.Name)); got != 4 {
		t.Errorf("desired replicas gauge = %v, want 4", got)
	}
	if got := testutil.ToFloat64(e.s.metrics.stable.WithLabelValues(rev.Namespace, rev.Name)); got <= 5 || got > 35 {
		t.Errorf("stable concurrency gauge = %v, want between 5 and 35", got)
	}
	if got := testutil.ToFloat64(e.s.metrics.writes); got != float64(len(writes)) {
		t.Errorf("writes counter = %v, want %d", got, len(writes))
	}
	records := len(e.status.all())
	e.run(20 * time.Second)
	if w := e.drain(); len(w) != 0 {
		t.Errorf("writes after settling: %+v", w)
	}
	if got := len(e.status.all()); got != records {
		t.Errorf("status recorded %d more times after settling", got-records)
	}
}

// TestShownDecisionIsNotRecordedAgain: a decision the Revision's status
// already shows (Target.Shown) is not written again, as after a restart,
// and one that differs is.
func TestShownDecisionIsNotRecordedAgain(t *testing.T) {
	atZero := decider.Decision{Reason: decider.ReasonScaledToZero}
	tests := []struct {
		name  string
		shown decider.Decision
		want  int
	}{
		{name: "shown already", shown: atZero, want: 0},
		{name: "shown nothing", want: 1},
		{name: "shown another", shown: decider.Decision{DesiredReplicas: 2, Reason: decider.ReasonStable}, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := specWith(func(s *decider.Spec) { s.InitialScale = 0 })
			e := newEnv(t, spec, deployment(depName, 0, 0), func(o *Options) {
				o.Targets = &targets{list: []Target{{Revision: rev, Deployment: depName, Spec: spec, Shown: tc.shown}}}
			})
			e.run(10 * time.Second)
			if w := e.drain(); len(w) != 0 {
				t.Errorf("scale writes %+v, want none", w)
			}
			if got := e.status.of(rev); len(got) != tc.want {
				t.Errorf("status records %+v, want %d", got, tc.want)
			}
		})
	}
}

// TestNewRevisionDecidesWithData: a revision added while stats are fresh
// is sampled at once, so a tick before the next Sample decides with data
// (scaled to zero, as its status shows) instead of writing NoData.
func TestNewRevisionDecidesWithData(t *testing.T) {
	spec := specWith(func(s *decider.Spec) { s.InitialScale = 0 })
	e := newEnv(t, spec, deployment(depName, 0, 0), func(o *Options) {
		o.Targets = &targets{list: []Target{{Revision: rev, Deployment: depName, Spec: spec,
			Shown: decider.Decision{Reason: decider.ReasonScaledToZero}}}}
	})
	e.s.Tick(e.ctx)
	if got := e.status.of(rev); len(got) != 0 {
		t.Errorf("status records %+v, want none", got)
	}
}

func TestStandbySamplesAndNewLeaderHoldsScale(t *testing.T) {
	elected := make(chan struct{})
	e := newEnv(t, decider.Defaults(), deployment(depName, 5, 5), func(o *Options) { o.Elected = elected })
	e.stats.set(rev, 0) // no demand at all
	e.run(3 * time.Minute)
	if w := e.drain(); len(w) != 0 {
		t.Fatalf("a standby wrote: %+v", w)
	}
	if got := e.status.all(); len(got) != 0 {
		t.Fatalf("a standby recorded status: %+v", got)
	}

	close(elected)
	electedAt := e.clock.Now()
	var first *write
	for first == nil && e.clock.Since(electedAt) < 2*time.Minute {
		e.run(2 * time.Second)
		if w := e.drain(); len(w) > 0 {
			first = &w[0]
		}
	}
	if first == nil {
		t.Fatal("the new leader never scaled down")
	}
	if held := e.clock.Since(electedAt); held < defaults.StableWindow {
		t.Errorf("scaled down %v after election, want at least a stable window", held)
	}
	if first.replicas != 3 {
		t.Errorf("first write = %d, want 3 (halved, rounded up)", first.replicas)
	}
	if got := e.status.all(); len(got) == 0 || got[0].Reason != decider.ReasonCollectingHistory {
		t.Errorf("first status after election = %+v, want reason %q", got, decider.ReasonCollectingHistory)
	}
}

func TestNoStatsHoldsScale(t *testing.T) {
	// Stale from the start: a revision added while fresh stats flow gets
	// its first sample at once (see Sync).
	e := newEnv(t, decider.Defaults(), deployment(depName, 3, 3), func(o *Options) { o.Stats = &fixedStats{stale: true} })
	e.run(5 * time.Minute)
	if w := e.drain(); len(w) != 0 {
		t.Fatalf("writes without any activator reporting: %+v", w)
	}
	got := e.status.all()
	if len(got) != 1 || got[0].Reason != decider.ReasonNoData || got[0].DesiredReplicas != 3 {
		t.Fatalf("status = %+v, want one NoData record at 3", got)
	}
}

func TestSync(t *testing.T) {
	other := types.NamespacedName{Namespace: "team", Name: "other-00002"}
	e := newEnv(t, decider.Defaults(), deployment(depName, 1, 1))
	bad := decider.Defaults()
	bad.MaxScaleDownRate = 0
	tests := []struct {
		name        string
		list        []Target
		listErr     error
		wantErr     bool
		wantTracked map[types.NamespacedName]bool
		wantSeries  int
	}{
		{
			name:        "adds a revision",
			list:        []Target{{Revision: rev, Deployment: depName, Spec: decider.Defaults()}, {Revision: other, Deployment: "x", Spec: decider.Defaults()}},
			wantTracked: map[types.NamespacedName]bool{rev: true, other: true},
			wantSeries:  2,
		},
		{
			name:        "a list error keeps the tracked set",
			listErr:     errors.New("cache not synced"),
			wantErr:     true,
			wantTracked: map[types.NamespacedName]bool{rev: true, other: true},
			wantSeries:  2,
		},
		{
			name:        "removes a revision",
			list:        []Target{{Revision: rev, Deployment: depName, Spec: decider.Defaults()}},
			wantTracked: map[types.NamespacedName]bool{rev: true, other: false},
			wantSeries:  1,
		},
		{
			name:        "skips an invalid new spec",
			list:        []Target{{Revision: rev, Deployment: depName, Spec: decider.Defaults()}, {Revision: other, Deployment: "x", Spec: bad}},
			wantErr:     true,
			wantTracked: map[types.NamespacedName]bool{rev: true, other: false},
			wantSeries:  1,
		},
		{
			name:        "keeps tracking on an invalid update",
			list:        []Target{{Revision: rev, Deployment: depName, Spec: bad}},
			wantErr:     true,
			wantTracked: map[types.NamespacedName]bool{rev: true},
			wantSeries:  1,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e.targets.set(tc.list, tc.listErr)
			e.s.Tick(e.ctx) // observe the gauges of every tracked revision
			err := e.s.Sync(context.Background())
			if (err != nil) != tc.wantErr {
				t.Fatalf("Sync() = %v, wantErr %v", err, tc.wantErr)
			}
			for k, want := range tc.wantTracked {
				if got := e.s.Tracked(k); got != want {
					t.Errorf("Tracked(%v) = %v, want %v", k, got, want)
				}
			}
			if got := testutil.CollectAndCount(e.s.metrics.desired); got != tc.wantSeries {
				t.Errorf("desired_replicas has %d series, want %d", got, tc.wantSeries)
			}
		})
	}
	if len(e.stats.forgotten) != 1 || e.stats.forgotten[0] != other {
		t.Errorf("forgotten = %v, want [%v]", e.stats.forgotten, other)
	}
}

func TestStartTicksUntilCancelled(t *testing.T) {
	e := newEnv(t, specWith(func(s *decider.Spec) { s.Target = 10 }), deployment(depName, 1, 1))
	e.stats.set(rev, 200)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.s.Start(ctx) }()
	// Step the fake clock until the tickers have fired and a write lands.
	deadline := time.After(10 * time.Second)
	step := time.NewTicker(time.Millisecond)
	defer step.Stop()
	var got write
wait:
	for {
		select {
		case got = <-e.writes:
			break wait
		case <-step.C:
			e.clock.Step(time.Second)
		case <-deadline:
			t.Fatal("no write from the running scaler")
		}
	}
	if got.replicas < 2 {
		t.Errorf("write = %+v, want a scale-up", got)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Start() = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Start did not return after cancel")
	}
}

func TestNewValidates(t *testing.T) {
	e := newEnv(t, decider.Defaults(), deployment(depName, 1, 1))
	for name, o := range map[string]Options{
		"no client":  {Targets: e.targets, Stats: e.stats},
		"no targets": {Client: e.client, Stats: e.stats},
		"no stats":   {Client: e.client, Targets: e.targets},
	} {
		if _, err := New(o); err == nil {
			t.Errorf("%s: New() = nil error", name)
		}
	}
}
