package scaler

import (
	"context"
	"errors"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/config/defaults"
)

// TestTickDoesNotList: ticks list the targets only to retry a failed
// listing; TargetsChanged is what makes the scaler list them again.
func TestTickDoesNotList(t *testing.T) {
	e := newEnv(t, decider.Defaults(), deployment(depName, 1, 1))
	base := e.targets.listings()
	e.run(20 * time.Second) // ten ticks
	if got := e.targets.listings() - base; got != 0 {
		t.Fatalf("ten ticks listed the targets %d times, want 0", got)
	}

	e.targets.set(nil, errors.New("cache not synced"))
	if err := e.s.Sync(e.ctx); err == nil {
		t.Fatal("Sync() = nil with a failing listing")
	}
	e.s.Tick(e.ctx)
	select {
	case <-e.s.syncSig:
	default:
		t.Fatal("the tick after a failed listing did not ask for a Sync")
	}
	e.s.Tick(e.ctx)
	select {
	case <-e.s.syncSig:
		t.Fatal("a second tick asked for a Sync again")
	default:
	}
}

// TestTargetsChangedSyncs: a running Scaler whose clock never moves, so it
// never ticks, tracks a new revision after TargetsChanged.
func TestTargetsChangedSyncs(t *testing.T) {
	e := newEnv(t, decider.Defaults(), deployment(depName, 1, 1))
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- e.s.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Start() = %v", err)
		}
	}()
	other := types.NamespacedName{Namespace: rev.Namespace, Name: "other-00001"}
	e.targets.set([]Target{
		{Revision: rev, Deployment: depName, Spec: decider.Defaults()},
		{Revision: other, Deployment: other.Name, Spec: decider.Defaults()},
	}, nil)
	e.s.TargetsChanged()
	deadline := time.Now().Add(5 * time.Second)
	for !e.s.Tracked(other) {
		if time.Now().After(deadline) {
			t.Fatal("the new revision is not tracked 5 s after TargetsChanged")
		}
		time.Sleep(time.Millisecond) // poll pace
	}
}

// TestObservedDeployments: decisions use the Deployment state handed to
// ObserveDeployment, whenever it arrives relative to the revision.
func TestObservedDeployments(t *testing.T) {
	tests := []struct {
		name string
		// setup runs on a Scaler that tracks rev (Deployment depName, at 1
		// replica) once the demand is steady at 4 pods' worth.
		setup     func(e *env)
		wantWrite int32    // replicas of every write; 0: no write
		wantNames []string // the Deployments written, in any order
	}{
		{name: "observed deployment is scaled", wantWrite: 4, wantNames: []string{depName}},
		{
			name:  "forgotten deployment is left alone",
			setup: func(e *env) { e.s.ForgetDeployment(types.NamespacedName{Namespace: rev.Namespace, Name: depName}) },
		},
		{
			name: "renamed deployment: the new one's state counts",
			setup: func(e *env) {
				renamed := "hello-00001-v2"
				dep := deployment(renamed, 0, 0)
				if err := e.client.Create(e.ctx, dep); err != nil {
					e.t.Fatal(err)
				}
				e.s.ObserveDeployment(types.NamespacedName{Namespace: rev.Namespace, Name: renamed}, DeploymentState{Replicas: 2, ReadyReplicas: 2})
				e.targets.set([]Target{{Revision: rev, Deployment: renamed, Spec: specWith(func(s *decider.Spec) { s.Target = 10 })}}, nil)
				if err := e.s.Sync(e.ctx); err != nil {
					e.t.Fatal(err)
				}
			},
			wantWrite: 4,
			wantNames: []string{"hello-00001-v2"},
		},
		{
			name: "deployment seen before its revision is listed",
			setup: func(e *env) {
				late := types.NamespacedName{Namespace: rev.Namespace, Name: "late-00001"}
				dep := deployment(late.Name, 1, 1)
				if err := e.client.Create(e.ctx, dep); err != nil {
					e.t.Fatal(err)
				}
				e.s.ObserveDeployment(late, DeploymentState{Replicas: 1, ReadyReplicas: 1})
				e.stats.set(late, 35)
				e.targets.set([]Target{
					{Revision: rev, Deployment: depName, Spec: specWith(func(s *decider.Spec) { s.Target = 10 })},
					{Revision: late, Deployment: late.Name, Spec: specWith(func(s *decider.Spec) { s.Target = 10 })},
				}, nil)
				if err := e.s.Sync(e.ctx); err != nil {
					e.t.Fatal(err)
				}
			},
			wantWrite: 4, // both revisions go to 4
			wantNames: []string{depName, "late-00001"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, specWith(func(s *decider.Spec) { s.Target = 10 }), deployment(depName, 1, 1))
			e.stats.set(rev, 35)
			if tc.setup != nil {
				tc.setup(e)
			}
			e.run(4 * time.Second)
			writes := e.drain()
			if tc.wantWrite == 0 {
				if len(writes) != 0 {
					t.Fatalf("writes = %+v, want none", writes)
				}
				return
			}
			if len(writes) == 0 {
				t.Fatal("no write")
			}
			names := map[string]bool{}
			for _, w := range writes {
				names[w.name] = true
				if w.replicas != tc.wantWrite {
					t.Errorf("write %+v, want %d replicas", w, tc.wantWrite)
				}
			}
			if len(names) != len(tc.wantNames) {
				t.Errorf("wrote %v, want %v", names, tc.wantNames)
			}
			for _, n := range tc.wantNames {
				if !names[n] {
					t.Errorf("no write to %s; wrote %v", n, names)
				}
			}
		})
	}
}

// TestSyncReachability: a Sync that lists an idle minScale-1 revision as
// unreachable, its spec unchanged, takes it to zero once the grace period
// has passed; one that lists it reachable again brings minScale back at
// once, without waiting for a tick.
func TestSyncReachability(t *testing.T) {
	tests := []struct {
		name string
		// relist drops the revision before it is listed unreachable, so
		// that it comes back as a new entry rather than an updated one.
		relist bool
	}{
		{name: "a tracked revision becomes unreachable"},
		{name: "a revision first listed unreachable", relist: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := specWith(func(s *decider.Spec) { s.MinScale = 1 })
			e := newEnv(t, spec, deployment(depName, 1, 1))
			sync := func(list ...Target) {
				t.Helper()
				e.targets.set(list, nil)
				if err := e.s.Sync(e.ctx); err != nil {
					t.Fatal(err)
				}
			}
			lastReason := func() decider.Reason {
				got := e.status.all()
				if len(got) == 0 {
					return ""
				}
				return got[len(got)-1].Reason
			}
			e.run(3 * time.Minute) // idle, held at minScale
			if w := e.drain(); len(w) != 0 {
				t.Fatalf("writes while reachable: %+v", w)
			}

			if tc.relist {
				sync()
			}
			sync(Target{Revision: rev, Deployment: depName, Spec: spec, Unreachable: true})
			e.run(defaults.ScaleToZeroGracePeriod)
			if w := e.drain(); len(w) != 0 {
				t.Fatalf("writes within the grace period: %+v", w)
			}
			e.run(2 * DefaultTickInterval)
			if w := e.drain(); len(w) != 1 || w[0].replicas != 0 {
				t.Fatalf("writes after the grace period = %+v, want one to 0", w)
			}
			if got := lastReason(); got != decider.ReasonUnreachable {
				t.Errorf("status reason = %q, want %q", got, decider.ReasonUnreachable)
			}
			e.setReady(0)
			e.run(time.Minute)
			if w := e.drain(); len(w) != 0 {
				t.Fatalf("writes while unreachable at zero: %+v", w)
			}

			sync(Target{Revision: rev, Deployment: depName, Spec: spec})
			if w := e.drain(); len(w) != 1 || w[0].replicas != 1 {
				t.Fatalf("writes by the Sync that made it reachable = %+v, want one to 1, without waiting for a tick", w)
			}
			if got := lastReason(); got != decider.ReasonMinScale {
				t.Errorf("status reason = %q, want %q", got, decider.ReasonMinScale)
			}
		})
	}
}
