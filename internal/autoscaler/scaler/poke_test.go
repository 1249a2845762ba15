package scaler

import (
	"context"
	"math"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/autoscaler/statserver"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// pokeBound is how long after the activator's poke the scale write may
// come in TestPokeAtZeroScalesAtOnce. It is not the latency budget: that is
// BenchmarkPokeToWrite's, because the write takes milliseconds, but a
// machine busy with other tests under -race can stall any goroutine for
// hundreds of them. What the test must catch is a poke path that waits for
// something timed. The fake clock never moves, so a write that waits for a
// tick never comes (the test fails after noWrite); one that waits on the
// wall clock (a real timer, a debounce) for anything near a tick interval
// fails this bound, which is 50 times the budget and half a tick.
const pokeBound = DefaultTickInterval / 2

// noWrite is how long a test waits for a scale write before it concludes
// that none is coming.
const noWrite = 5 * time.Second

// TestPokeAtZeroScalesAtOnce wires a real stat server on 127.0.0.1 to a
// running Scaler on a fake API server. The fake clock never moves, so only
// the poke can cause the write.
func TestPokeAtZeroScalesAtOnce(t *testing.T) {
	tests := []struct {
		name    string
		initial int32
		max     int32
		want    int32
	}{
		{name: "initialScale 0", initial: 0, want: 1},
		{name: "initialScale 1", initial: 1, want: 1},
		{name: "initialScale 3", initial: 3, want: 3},
		{name: "initialScale above maxScale", initial: 5, max: 2, want: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := specWith(func(s *decider.Spec) { s.InitialScale, s.MaxScale = tc.initial, tc.max })
			coll := collector.New(0)
			reg := prometheus.NewRegistry()
			e := newEnv(t, spec, deployment(depName, 0, 0), func(o *Options) { o.Stats, o.Registerer = coll, reg })
			addRevision(t, e, warmRev, spec, 0, 0)
			conn := startStack(t, e.s, e.clock, coll, testr.New(t))

			// One poke through the whole path first, so that the measured
			// poke does not pay for first use (JSON and reflection caches,
			// the fake client's converters): a running autoscaler has paid
			// for them long before.
			if _, other := pokeAndWait(t, e, conn, warmRev); len(other) > 0 {
				t.Fatalf("unexpected writes %+v", other)
			}
			sent := time.Now()
			w, other := pokeAndWait(t, e, conn, rev)
			if len(other) > 0 {
				t.Errorf("unexpected writes %+v", other)
			}
			// issued is when the scaler called the API server; the fake API
			// server's own update (field management, conversions) is logged
			// but is not the autoscaler's.
			took := w.issued.Sub(sent)
			t.Logf("poke to scale write issued: %v, stored by the fake API server: %v", took, w.done.Sub(sent))
			if w.replicas != tc.want {
				t.Errorf("wrote %d replicas, want %d", w.replicas, tc.want)
			}
			if took > pokeBound {
				t.Errorf("the scale write came %v after the poke, want within %v: the poke path waits for something", took, pokeBound)
			}
			// Both wakes are timed, once each written.
			testutil.Eventually(t, noWrite, "two wakes timed", func() bool {
				n, _ := testutil.MetricValue(t, reg, "wake_autoscaler_wake_seconds", nil)
				return n == 2
			})
		})
	}
}

// TestPokeAboveZeroWaitsForTick: a revision that has pods is decided on
// the tick, not on a poke.
func TestPokeAboveZeroWaitsForTick(t *testing.T) {
	coll := collector.New(0)
	e := newEnv(t, decider.Defaults(), deployment(depName, 2, 2), func(o *Options) { o.Stats = coll })
	addRevision(t, e, warmRev, decider.Defaults(), 0, 0)
	addRevision(t, e, warmRev2, decider.Defaults(), 0, 0)
	conn := startStack(t, e.s, e.clock, coll, testr.New(t))
	e.s.Tick(e.ctx) // learn the scale
	if err := statwire.Write(conn, statwire.Frame{Source: "act-1", Stats: []statwire.Stat{{
		Namespace: rev.Namespace, Revision: rev.Name, AverageConcurrency: 1000, RequestCount: 1, Poke: true,
	}}}); err != nil {
		t.Fatal(err)
	}
	// The stat server handles one connection's frames in order, and the
	// poke loop decides one batch of pokes at a time. So warmRev's poke is
	// decided with rev's or after it, and warmRev2's, sent once warmRev's
	// write is seen, in a later batch. A write that rev's poke caused would
	// be written beside warmRev's, microseconds on the fake API server, and
	// seen by the time warmRev2's is, or else by the tick's check below.
	_, before1 := pokeAndWait(t, e, conn, warmRev)
	_, before2 := pokeAndWait(t, e, conn, warmRev2)
	if w := writesTo(slices.Concat(before1, before2, e.drain()), depName); len(w) != 0 {
		t.Fatalf("writes %+v on a poke for a revision with pods", w)
	}
	e.s.Sample(e.clock.Now())
	e.s.Tick(e.ctx)
	if w := writesTo(e.drain(), depName); len(w) != 1 || w[0].replicas <= 2 {
		t.Fatalf("tick writes = %+v, want one scale-up", w)
	}
}

// TestWakeDoesNotWaitForAnother hangs the first wake's scale write, as an
// API server under load would delay it, and checks that a poke for another
// revision is still written at once.
func TestWakeDoesNotWaitForAnother(t *testing.T) {
	e, conn, _ := wakeInFlight(t)
	pokeAndWait(t, e, conn, rev) // fails if rev's wake waits for warmRev's
}

// TestWakeDoesNotWaitForAnotherStage hangs a later stage of the first
// wake, with one writer slot per stage, and checks that a poke for another
// revision still has its scale written: a wake hands its scale slot back
// before its ReplicaSet and status writes.
func TestWakeDoesNotWaitForAnotherStage(t *testing.T) {
	for _, stage := range []string{"replicaSet", "record"} {
		t.Run(stage, func(t *testing.T) {
			coll := collector.New(0)
			h := &hangingStages{statusLog: &statusLog{}, revision: warmRev, stage: stage, entered: make(chan struct{})}
			e := newEnv(t, decider.Defaults(), deployment(depName, 0, 0), func(o *Options) {
				o.Stats, o.Status, o.ReplicaSets, o.Writers = coll, h, h, 1
			})
			addRevision(t, e, warmRev, decider.Defaults(), 0, 0)
			conn := startStack(t, e.s, e.clock, coll, testr.New(t))
			poke(t, conn, warmRev)
			waitFor(t, h.entered, "warmRev's "+stage+" stage")
			pokeAndWait(t, e, conn, rev) // fails if rev's scale waits for warmRev's stage
		})
	}
}

// hangingStages is a StatusRecorder and ReplicaSets that holds revision's
// first call of stage ("replicaSet" or "record") until its context ends
// (startStack's, when the test ends). Other records go to statusLog; other
// ReplicaSet wakes do nothing.
type hangingStages struct {
	*statusLog
	revision types.NamespacedName
	stage    string
	entered  chan struct{}
	once     sync.Once
}

func (h *hangingStages) hang(ctx context.Context, stage string, rev types.NamespacedName) error {
	if stage != h.stage || rev != h.revision {
		return nil
	}
	h.once.Do(func() { close(h.entered) })
	<-ctx.Done()
	return ctx.Err()
}

func (h *hangingStages) RecordDecision(ctx context.Context, rev types.NamespacedName, d decider.Decision) error {
	if err := h.hang(ctx, "record", rev); err != nil {
		return err
	}
	return h.statusLog.RecordDecision(ctx, rev, d)
}

func (h *hangingStages) Wake(ctx context.Context, namespace, deployment string, _ int32) (bool, error) {
	// addRevision names a revision's Deployment after it.
	return false, h.hang(ctx, "replicaSet", types.NamespacedName{Namespace: namespace, Name: deployment})
}

// TestTickLeavesAWakeInFlight hangs a poke's scale write and checks that a
// tick meanwhile neither decides that revision again nor writes its wake a
// second time.
func TestTickLeavesAWakeInFlight(t *testing.T) {
	e, _, release := wakeInFlight(t)
	ticked := make(chan struct{})
	go func() { e.s.Tick(e.ctx); close(ticked) }()
	waitFor(t, ticked, "a tick that leaves the revision alone (it decided again and waited for the wake's write)")
	release()
	if w := writesTo(append([]write{<-e.writes}, e.drain()...), warmRev.Name); len(w) != 1 {
		t.Errorf("writes to the woken revision = %+v, want one", w)
	}
}

// wakeInFlight runs a Scaler whose scale writes to warmRev's Deployment
// hang, pokes warmRev and returns once its wake's write has begun, with
// the stat connection and the function that lets the write through.
func wakeInFlight(t *testing.T) (*env, net.Conn, func()) {
	t.Helper()
	coll := collector.New(0)
	hang, entered, release := hangScaleWrite(warmRev.Name)
	e := newEnv(t, decider.Defaults(), deployment(depName, 0, 0), func(o *Options) { o.Stats = coll }, hang)
	addRevision(t, e, warmRev, decider.Defaults(), 0, 0)
	conn := startStack(t, e.s, e.clock, coll, testr.New(t))
	poke(t, conn, warmRev)
	waitFor(t, entered, "warmRev's wake write")
	return e, conn, release
}

// hangScaleWrite returns an env option whose client holds every scale
// write to Deployment name until release is called or the write's context
// ends (startStack's, when the test ends), and a channel closed when the
// first one arrives.
func hangScaleWrite(name string) (opt envOption, entered <-chan struct{}, release func()) {
	in, released := make(chan struct{}), make(chan struct{})
	var once sync.Once
	return func(o *Options) {
		o.Client = interceptor.NewClient(o.Client.(client.WithWatch), interceptor.Funcs{
			SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
				if obj.GetName() == name {
					once.Do(func() { close(in) })
					select {
					case <-released:
					case <-ctx.Done():
					}
				}
				return c.SubResource(sub).Update(ctx, obj, opts...)
			},
		})
	}, in, sync.OnceFunc(func() { close(released) })
}

// poke sends a poke for key.
func poke(t *testing.T, conn net.Conn, key types.NamespacedName) {
	t.Helper()
	if err := statwire.Write(conn, statwire.Frame{Source: "act-1", Stats: []statwire.Stat{{
		Namespace: key.Namespace, Revision: key.Name, RequestCount: 1, Poke: true,
	}}}); err != nil {
		t.Fatal(err)
	}
}

// waitFor fails the test when ch is not closed within noWrite.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(noWrite):
		t.Fatalf("no %s within %v", what, noWrite)
	}
}

// writesTo keeps the writes to the Deployment named dep.
func writesTo(ws []write, dep string) []write {
	var out []write
	for _, w := range ws {
		if w.name == dep {
			out = append(out, w)
		}
	}
	return out
}

// startStack runs s and a stat server feeding coll, both on clk, and
// returns an activator connection to the server. Both stop when the test
// ends.
func startStack(tb testing.TB, s *Scaler, clk clock.WithTicker, coll *collector.Collector, log logr.Logger) net.Conn {
	tb.Helper()
	srv, err := statserver.New(statserver.Options{
		Collector:  coll,
		Known:      s.Tracked,
		OnPoke:     s.Poke,
		Clock:      clk,
		Log:        log,
		Registerer: prometheus.NewRegistry(),
		// The API server is not what these tests are about.
		Authenticator: activatorAuth{},
		// The frame limiter refills on clk, which may never move.
		FrameRate: math.Inf(1),
	})
	if err != nil {
		tb.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served, started := make(chan error, 1), make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	go func() { started <- s.Start(ctx) }()
	tb.Cleanup(func() {
		cancel()
		for _, ch := range []chan error{served, started} {
			if err := <-ch; err != nil {
				tb.Error(err)
			}
		}
	})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = conn.Close() })
	if err := statwire.WriteAuth(conn, "act-1"); err != nil {
		tb.Fatal(err)
	}
	return conn
}

// activatorAuth accepts any token as pod act-1's.
type activatorAuth struct{}

func (activatorAuth) Authenticate(context.Context, string) (statauth.Identity, error) {
	return statauth.Identity{Pod: "act-1", Expiry: time.Unix(1<<40, 0)}, nil
}

// warmRev and warmRev2 are revisions at zero whose pokes the tests use
// as markers.
var (
	warmRev  = types.NamespacedName{Namespace: rev.Namespace, Name: "warm-00001"}
	warmRev2 = types.NamespacedName{Namespace: rev.Namespace, Name: "warm-00002"}
)

// pokeAndWait sends a poke for key, a revision at zero whose Deployment is
// named after it or is depName, and waits for that Deployment's scale
// write. It returns that write and any write that came before it.
func pokeAndWait(t *testing.T, e *env, conn net.Conn, key types.NamespacedName) (write, []write) {
	t.Helper()
	poke(t, conn, key)
	dep := key.Name
	if key == rev {
		dep = depName
	}
	var before []write
	timeout := time.After(noWrite)
	for {
		select {
		case w := <-e.writes:
			if w.name == dep {
				return w, before
			}
			before = append(before, w)
		case <-timeout:
			t.Fatalf("no scale write within %v of a poke for %v; other writes: %+v", noWrite, key, before)
		}
	}
}
