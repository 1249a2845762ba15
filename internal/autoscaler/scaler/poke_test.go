package scaler

import (
	"context"
	"net"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/autoscaler/statserver"
	"github.com/wakefn/wake/internal/stats"
)

// pokeBudget is how soon after the activator's poke the scale must be
// written: the median over the table's cases, so that one scheduling hiccup
// on a shared machine does not fail the test.
const pokeBudget = 10 * time.Millisecond

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
	var latencies []time.Duration
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := specWith(func(s *decider.Spec) { s.InitialScale, s.MaxScale = tc.initial, tc.max })
			coll := collector.New(0)
			e := newEnv(t, spec, deployment(depName, 0, 0), func(o *Options) { o.Stats = coll })
			addTarget(t, e, warmRev, spec)
			conn := startStack(t, e, coll)

			warmUp(t, e, conn)
			poke := stats.Frame{Source: "act-1", Stats: []stats.Stat{{
				Namespace: rev.Namespace, Revision: rev.Name, RequestCount: 1, Poke: true,
			}}}
			sent := time.Now()
			if err := stats.Write(conn, poke); err != nil {
				t.Fatal(err)
			}
			select {
			case w := <-e.writes:
				// The budget covers the autoscaler: TCP, parsing, the
				// collector, the poke queue and the decision, up to the
				// write call. The fake API server's own
				// update (field management, conversions: 1-6 ms) is logged
				// but is not the autoscaler's latency.
				took := w.issued.Sub(sent)
				t.Logf("poke to scale write issued: %v, stored by the fake API server: %v", took, w.done.Sub(sent))
				if w.replicas != tc.want {
					t.Errorf("wrote %d replicas, want %d", w.replicas, tc.want)
				}
				latencies = append(latencies, took)
			case <-time.After(5 * time.Second):
				t.Fatal("no scale write after the poke")
			}
		})
	}
	slices.Sort(latencies)
	if len(latencies) == len(tests) && latencies[len(latencies)/2] > pokeBudget {
		t.Errorf("median poke to scale write %v (all: %v), want within %v", latencies[len(latencies)/2], latencies, pokeBudget)
	}
}

// TestPokeAboveZeroWaitsForTick: a revision that has pods is decided on
// the tick, not on a poke.
func TestPokeAboveZeroWaitsForTick(t *testing.T) {
	coll := collector.New(0)
	e := newEnv(t, decider.Defaults(), deployment(depName, 2, 2), func(o *Options) { o.Stats = coll })
	conn := startStack(t, e, coll)
	e.s.Tick(e.ctx) // learn the scale
	if err := stats.Write(conn, stats.Frame{Source: "act-1", Stats: []stats.Stat{{
		Namespace: rev.Namespace, Revision: rev.Name, AverageConcurrency: 1000, RequestCount: 1, Poke: true,
	}}}); err != nil {
		t.Fatal(err)
	}
	// Wait for the poke to reach the collector, then give the poke loop
	// the whole budget to (wrongly) act on it.
	deadline := time.After(5 * time.Second)
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for coll.Concurrency(rev, e.clock.Now()) == 0 {
		select {
		case <-poll.C:
		case <-deadline:
			t.Fatal("poke never reached the collector")
		}
	}
	select {
	case w := <-e.writes:
		t.Fatalf("write %+v on a poke for a revision with pods", w)
	case <-time.After(5 * pokeBudget):
	}
	e.s.Sample(e.clock.Now())
	e.s.Tick(e.ctx)
	if w := e.drain(); len(w) != 1 || w[0].replicas <= 2 {
		t.Fatalf("tick writes = %+v, want one scale-up", w)
	}
}

// startStack runs e's Scaler and a stat server feeding coll, and returns an
// activator connection to the server.
func startStack(t *testing.T, e *env, coll *collector.Collector) net.Conn {
	t.Helper()
	srv, err := statserver.New(statserver.Options{
		Collector:  coll,
		Known:      e.s.Tracked,
		OnPoke:     e.s.Poke,
		Clock:      e.clock,
		Log:        testr.New(t),
		Registerer: prometheus.NewRegistry(),
		// The API server is not what these tests are about.
		Authenticator: activatorAuth{},
	})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	served, started := make(chan error, 1), make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	go func() { started <- e.s.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		for _, ch := range []chan error{served, started} {
			if err := <-ch; err != nil {
				t.Error(err)
			}
		}
	})
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := stats.WriteAuth(conn, "act-1"); err != nil {
		t.Fatal(err)
	}
	return conn
}

// activatorAuth accepts any token as pod act-1's.
type activatorAuth struct{}

func (activatorAuth) Authenticate(context.Context, string) (statauth.Identity, error) {
	return statauth.Identity{Pod: "act-1", Expiry: time.Unix(1<<40, 0)}, nil
}

var warmRev = types.NamespacedName{Namespace: rev.Namespace, Name: "warm-00001"}

// addTarget tracks one more revision, with a Deployment at zero named after
// it.
func addTarget(t *testing.T, e *env, key types.NamespacedName, spec decider.Spec) {
	t.Helper()
	dep := deployment(key.Name, 0, 0)
	if err := e.client.Create(e.ctx, dep); err != nil {
		t.Fatal(err)
	}
	e.observe(client.ObjectKeyFromObject(dep))
	list, _ := e.targets.ListTargets(e.ctx)
	e.targets.set(append(list, Target{Revision: key, Deployment: key.Name, Spec: spec}), nil)
	if err := e.s.Sync(e.ctx); err != nil {
		t.Fatal(err)
	}
}

// warmUp runs one poke through the whole path for warmRev, so that the
// measured poke does not pay for first use (JSON and reflection caches, the
// fake client's converters): a running autoscaler has paid for them long
// before.
func warmUp(t *testing.T, e *env, conn net.Conn) {
	t.Helper()
	if err := stats.Write(conn, stats.Frame{Source: "act-1", Stats: []stats.Stat{{
		Namespace: warmRev.Namespace, Revision: warmRev.Name, RequestCount: 1, Poke: true,
	}}}); err != nil {
		t.Fatal(err)
	}
	select {
	case w := <-e.writes:
		if w.name != warmRev.Name {
			t.Fatalf("warm-up wrote %+v", w)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no write for the warm-up poke")
	}
}
