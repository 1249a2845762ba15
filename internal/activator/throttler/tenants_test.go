package throttler

import (
	"context"
	"errors"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"
)

// TestTenantFloodDoesNotDelayAnother pins what isolates one namespace's
// requests from another's flood (make bench-tenants measures it end to
// end): every revision has its own queue and mutex, and a namespace holds
// at most MaxHeldPerNamespace of the activator's MaxHeld. Tenant A fills
// its containerConcurrency 1 revision's queue and holds requests for its
// cold revision up to its namespace's cap; tenant B's warm request still
// gets its slot without waiting, and B's cold start is held (not refused)
// and dispatched as soon as its pod is usable, its wait exactly its boot,
// while every one of A's requests still waits.
func TestTenantFloodDoesNotDelayAnother(t *testing.T) {
	const (
		aBusyQueued = 600
		aColdHeld   = 400 // with aBusyQueued, A's namespace cap
		boot        = 200 * time.Millisecond
	)
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk, MaxHeld: aBusyQueued + aColdHeld + 10, MaxHeldPerNamespace: aBusyQueued + aColdHeld})
	aBusy, aCold := RevisionKey{Namespace: "tenant-a", Name: "busy"}, RevisionKey{Namespace: "tenant-a", Name: "cold"}
	bWarm, bCold := RevisionKey{Namespace: "tenant-b", Name: "warm"}, RevisionKey{Namespace: "tenant-b", Name: "cold"}
	th.UpsertRevision(aBusy, RevisionConfig{ContainerConcurrency: 1})
	th.UpsertRevision(aCold, RevisionConfig{})
	th.UpsertRevision(bWarm, RevisionConfig{ContainerConcurrency: 1})
	th.UpsertRevision(bCold, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(aBusy, readyEndpoints(1))
	th.SetEndpoints(bWarm, []Endpoint{{Address: "10.0.1.1:8080", Ready: true}})

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	running := startHeld(ctx, th, aBusy) // A's one slot, taken until the end
	running.waitStarted(t)
	var flood []*held
	for i := range aBusyQueued {
		flood = append(flood, startHeld(ctx, th, aBusy))
		if i%100 == 99 {
			waitQueued(t, th, aBusy, i+1)
		}
	}
	waitQueued(t, th, aBusy, aBusyQueued)
	for range aColdHeld {
		flood = append(flood, startHeld(ctx, th, aCold))
	}
	waitQueued(t, th, aCold, aColdHeld)
	noop := func(string, Outcome) error { return nil }
	atOnce, cancelAtOnce := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancelAtOnce()
	if _, err := th.Try(atOnce, aCold, Queue, noop); !errors.Is(err, ErrNamespaceHeldLimit) {
		t.Fatalf("A over its namespace's cap: %v, want ErrNamespaceHeldLimit", err)
	}

	// B's warm request: a free slot on its own revision, taken at once.
	out, err := th.Try(atOnce, bWarm, Queue, noop)
	if err != nil || out.Wait != 0 || out.Dest != "10.0.1.1:8080" {
		t.Fatalf("B's warm request during A's flood: %+v, %v; want its pod at once", out, err)
	}

	// B's cold start: held, then dispatched the moment its pod is usable.
	cold := startHeld(atOnce, th, bCold)
	cold.waitQueued(t, th, 1)
	clk.Step(boot)
	th.SetEndpoints(bCold, []Endpoint{{Address: "10.0.1.2:8080", Ready: true}})
	if dest := cold.waitStarted(t); dest != "10.0.1.2:8080" {
		t.Fatalf("B's cold start went to %s", dest)
	}
	if r := cold.finish(t); r.err != nil || !r.out.ColdStart || r.out.Wait != boot {
		t.Fatalf("B's cold start: %+v, %v; want a cold start that waited its boot (%v) and no more", r.out, r.err, boot)
	}

	if q, c := queued(th, aBusy), queued(th, aCold); q != aBusyQueued || c != aColdHeld {
		t.Errorf("A's queues after B was served: %d and %d, want %d and %d still waiting", q, c, aBusyQueued, aColdHeld)
	}
	for _, h := range flood {
		h.notStarted(t)
	}
	cancel()
	running.finish(t)
	for _, h := range flood {
		if r := h.wait(t); !errors.Is(r.err, context.Canceled) {
			t.Fatalf("A's waiter after its client left: %v", r.err)
		}
	}
}
