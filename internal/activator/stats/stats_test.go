package stats

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

var (
	revA = types.NamespacedName{Namespace: "ns", Name: "a-1"}
	revB = types.NamespacedName{Namespace: "ns", Name: "b-1"}
)

func TestTimeWeightedConcurrency(t *testing.T) {
	t0 := time.Unix(1000, 0)
	fc := clocktesting.NewFakeClock(t0)
	r := New(Options{Source: "act-1", Clock: fc})
	// The period starts at t0 for revisions first seen at t0.
	h1 := r.Begin(revA)
	fc.Step(500 * time.Millisecond)
	h2 := r.Begin(revA)
	fc.Step(250 * time.Millisecond)
	h1.Done()
	hb := r.Begin(revB)
	hb.Done()
	fc.Step(250 * time.Millisecond)

	f := r.Report(fc.Now())
	if f.Source != "act-1" || f.Timestamp != fc.Now().UnixMilli() {
		t.Fatalf("frame %+v", f)
	}
	got := map[string]statwire.Stat{}
	for _, s := range f.Stats {
		got[s.Revision] = s
	}
	// a: 1 for 0.5s, 2 for 0.25s, 1 for 0.25s = 1.25 request-seconds.
	if s := got["a-1"]; math.Abs(s.AverageConcurrency-1.25) > 1e-9 || s.RequestCount != 2 {
		t.Errorf("a-1 = %+v, want c=1.25 n=2", s)
	}
	if s := got["b-1"]; s.AverageConcurrency != 0 || s.RequestCount != 1 {
		t.Errorf("b-1 = %+v, want c=0 n=1", s)
	}
	// Next period: h2 stays in flight for the whole second.
	fc.Step(time.Second)
	f = r.Report(fc.Now())
	if len(f.Stats) != 1 || f.Stats[0].Revision != "a-1" || f.Stats[0].AverageConcurrency != 1 || f.Stats[0].RequestCount != 0 {
		t.Errorf("second period %+v", f.Stats)
	}
	h2.Done()
	fc.Step(time.Second)
	r.Report(fc.Now()) // a-1 had 0 concurrency for the whole period... almost
	fc.Step(time.Second)
	// An idle period still gives a frame, with no entry: a snapshot saying
	// "no traffic from this activator".
	if f := r.Report(fc.Now()); f.Stats == nil || len(f.Stats) != 0 {
		t.Errorf("idle period produced %+v, want an empty snapshot", f)
	}
	r.mu.RLock()
	n := len(r.revs)
	r.mu.RUnlock()
	if n != 0 {
		t.Errorf("%d idle revisions kept, want 0", n)
	}
}

func TestBufferDropsOldest(t *testing.T) {
	r := New(Options{BufferFrames: 2, Clock: clocktesting.NewFakeClock(time.Unix(0, 0))})
	r.Poke(revA) // no stat server known yet: dropped
	if r.Dropped() != 1 {
		t.Errorf("dropped %d with no stat server, want 1", r.Dropped())
	}
	// A stat server that never takes its frames (no sender running).
	tg := &target{addr: "10.0.0.1:8090", buf: newRing(2)}
	r.targets[tg.addr] = tg
	for _, name := range []string{"r1", "r2", "r3", "r4", "r5"} {
		r.Poke(types.NamespacedName{Namespace: "ns", Name: name})
	}
	if r.Dropped() != 4 {
		t.Errorf("dropped %d, want 4", r.Dropped())
	}
	for _, want := range []string{"r4", "r5"} {
		b, ok := tg.buf.pop()
		if !ok {
			t.Fatalf("pop: empty, want poke for %s", want)
		}
		f, err := statwire.NewReader(bytes.NewReader(b)).Next()
		if err != nil || len(f.Stats) != 1 || f.Stats[0].Revision != want || !f.Stats[0].Poke {
			t.Fatalf("pop %+v %v, want poke for %s", f, err, want)
		}
	}
}

// acceptFrames accepts one connection and returns a channel of its frames.
func acceptFrames(t *testing.T, ln net.Listener) (net.Conn, <-chan statwire.Frame) {
	t.Helper()
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	conn, err := ln.Accept()
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	ch := make(chan statwire.Frame, 16)
	go func() {
		defer close(ch)
		rd := statwire.NewReader(conn)
		for {
			f, err := rd.Next()
			if err != nil {
				return
			}
			ch <- f
		}
	}()
	return conn, ch
}

func next(t *testing.T, ch <-chan statwire.Frame) statwire.Frame {
	t.Helper()
	select {
	case f, ok := <-ch:
		if !ok {
			t.Fatal("connection closed")
		}
		return f
	case <-time.After(10 * time.Second):
		t.Fatal("no frame within 10s")
	}
	return statwire.Frame{}
}

func TestSendPokeTicksAndReconnect(t *testing.T) {
	// The stat server's listener stays open for the whole test: while the
	// server is "down", dials fail in the injected Dial, so the test does
	// not depend on binding the same port again.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	address := ln.Addr().String()
	var (
		down        atomic.Bool
		failedDials atomic.Int32
	)
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		if addr != address {
			t.Errorf("dialed %s, want %s", addr, address)
		}
		if down.Load() {
			failedDials.Add(1)
			return nil, errors.New("connection refused: the stat server is down")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	fc := clocktesting.NewFakeClock(time.Unix(1000, 0))
	r := New(Options{Source: "act-1", Address: address, Clock: fc, Dial: dial})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	defer func() { cancel(); <-done }()

	conn, frames := acceptFrames(t, ln)
	r.Poke(revA)
	if f := next(t, frames); len(f.Stats) != 1 || !f.Stats[0].Poke || f.Stats[0].Revision != "a-1" || f.Source != "act-1" {
		t.Fatalf("poke frame %+v", f)
	}
	h := r.Begin(revA)
	testutil.Eventually(t, 10*time.Second, "ticker", fc.HasWaiters)
	fc.Step(time.Second)
	if f := next(t, frames); len(f.Stats) != 1 || f.Stats[0].RequestCount != 1 || f.Stats[0].AverageConcurrency != 1 {
		t.Fatalf("tick frame %+v", f)
	}
	h.Done()

	// The stat server goes away; the reporter notices and redials with
	// backoff on the fake clock while the server is down: one failed dial
	// per backoff, none while the clock stands still.
	down.Store(true)
	_ = conn.Close()
	// Waiters: the period and resolve tickers, and the backoff timer.
	testutil.Eventually(t, 10*time.Second, "first failed dial, then a backoff timer", func() bool { return failedDials.Load() == 1 && fc.Waiters() >= 3 })
	fc.Step(minBackoff + minBackoff/5) // past the first backoff, jitter included
	testutil.Eventually(t, 10*time.Second, "second failed dial, then a backoff timer", func() bool { return failedDials.Load() == 2 && fc.Waiters() >= 3 })

	// The server is back at the same address.
	down.Store(false)
	fc.Step(maxBackoff + maxBackoff/5) // past any backoff and one more tick
	_, frames = acceptFrames(t, ln)
	r.Poke(revB)
	for {
		f := next(t, frames)
		if len(f.Stats) == 1 && f.Stats[0].Poke && f.Stats[0].Revision == "b-1" {
			break
		}
	}
	if n := failedDials.Load(); n != 2 {
		t.Errorf("%d failed dials, want 2", n)
	}
}

// TestDemandJoinsTheFrame: what Demand gives is listed beside the measured
// revisions in every periodic frame, and nothing when it gives nothing.
func TestDemandJoinsTheFrame(t *testing.T) {
	fc := clocktesting.NewFakeClock(time.Unix(1000, 0))
	var demand []statwire.Stat
	r := New(Options{Source: "dispatcher-1", Clock: fc, Demand: func() []statwire.Stat { return demand }})
	h := r.Begin(revA)
	fc.Step(time.Second)
	demand = []statwire.Stat{{Namespace: "ns", Revision: "b-1", AverageConcurrency: 12}}
	f := r.Report(fc.Now())
	if len(f.Stats) != 2 || f.Stats[0].Revision != "a-1" || f.Stats[1] != demand[0] {
		t.Errorf("frame stats %+v, want a-1 measured and b-1's demand", f.Stats)
	}
	demand = nil
	fc.Step(time.Second)
	if f := r.Report(fc.Now()); len(f.Stats) != 1 || f.Stats[0].Revision != "a-1" {
		t.Errorf("frame stats %+v, want a-1 alone", f.Stats)
	}
	h.Done()
}
