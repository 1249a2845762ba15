package throttler

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	testingclock "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/config/defaults"
	"github.com/wakefn/wake/internal/testutil"
)

// freeAddr returns a 127.0.0.1 address nothing listens on (yet).
func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}

// listenOn starts accepting (and closing) connections on addr.
func listenOn(t *testing.T, addr string) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("listen on %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
}

// countingDial dials for real and counts attempts.
func countingDial(n *atomic.Int64) DialFunc {
	d := &net.Dialer{}
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		n.Add(1)
		return d.DialContext(ctx, network, addr)
	}
}

// TestColdStartTCP: requests for a revision at zero wait, the autoscaler is
// poked once, the pod shows up not ready, and the requests go out as soon as
// a real listener accepts connections, before kubelet marks the pod ready.
func TestColdStartTCP(t *testing.T) {
	addr := freeAddr(t)
	pokes := make(chan RevisionKey, 10)
	var dials atomic.Int64
	th := newTestThrottler(t, Options{
		OnColdStart: func(k RevisionKey) { pokes <- k },
		Dial:        countingDial(&dials),
	})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 10})
	bg := context.Background()
	var hs []*held
	for i := range 3 {
		hs = append(hs, startHeld(bg, th, testKey))
		waitQueued(t, th, testKey, i+1)
	}
	select {
	case k := <-pokes:
		if k != testKey {
			t.Fatalf("poked %v, want %v", k, testKey)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("OnColdStart not called")
	}

	th.SetEndpoints(testKey, []Endpoint{{Address: addr, Ready: false}})
	testutil.Eventually(t, 10*time.Second, "probes refused twice", func() bool { return dials.Load() >= 2 })
	for _, h := range hs {
		h.notStarted(t)
	}
	listenOn(t, addr)
	listening := time.Now()
	for _, h := range hs {
		if d := h.waitStarted(t); d != addr {
			t.Fatalf("request sent to %s, want %s", d, addr)
		}
	}
	latency := time.Since(listening)
	t.Logf("first requests out %v after the pod accepted connections (probe period %v)", latency, defaults.ProbePeriod)
	if latency > 500*time.Millisecond { // 50 ms in practice; loose for -race on busy CI
		t.Errorf("requests released %v after the pod started listening", latency)
	}
	for _, h := range hs {
		r := h.finish(t)
		if !r.out.ColdStart || r.out.EndpointWait <= 0 || r.out.ReadyWait <= 0 ||
			r.out.Wait < r.out.EndpointWait+r.out.ReadyWait {
			t.Errorf("outcome %+v, want a cold start with both phases", r.out)
		}
	}
	if len(pokes) != 0 {
		t.Errorf("OnColdStart called %d more times, want once per episode", len(pokes))
	}

	// kubelet catches up: the pod stays in use and is no longer probed.
	th.SetEndpoints(testKey, []Endpoint{{Address: addr, Ready: true}})
	r := th.lookup(testKey)
	r.mu.Lock()
	p := r.pods[addr]
	probing, usable := p.stopProbe != nil, p.routable
	r.mu.Unlock()
	if probing || !usable {
		t.Errorf("ready pod: probing %v, usable %v; want false, true", probing, usable)
	}
}

// TestColdStartPhasesFakeClock pins the timing with a fake clock: one probe
// period after the app listens, the request goes out, and the outcome splits
// the wait into its phases exactly.
func TestColdStartPhasesFakeClock(t *testing.T) {
	const period = 25 * time.Millisecond
	addr := freeAddr(t)
	clk := testingclock.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	th := newTestThrottler(t, Options{Clock: clk, ProbePeriod: period})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	h := startHeld(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 1)

	clk.Step(10 * time.Millisecond) // the pod appears in the endpoints after 10 ms
	th.SetEndpoints(testKey, []Endpoint{{Address: addr}})
	testutil.Eventually(t, 10*time.Second, "first probe to fail and wait", clk.HasWaiters)
	listenOn(t, addr)
	h.notStarted(t)
	clk.Step(period) // the next probe passes
	h.waitStarted(t)
	want := Outcome{Dest: addr, Wait: 35 * time.Millisecond, ColdStart: true,
		EndpointWait: 10 * time.Millisecond, ReadyWait: 25 * time.Millisecond}
	if h.seen != want {
		t.Errorf("fn saw %+v, want %+v", h.seen, want)
	}
	r := h.finish(t)
	if r.err != nil || r.out != want {
		t.Fatalf("Try = %+v, %v; want %+v", r.out, r.err, want)
	}
}

// TestColdStartPokesOncePerEpisode checks when OnColdStart fires.
func TestColdStartPokesOncePerEpisode(t *testing.T) {
	pokes := make(chan RevisionKey, 10)
	th := newTestThrottler(t, Options{OnColdStart: func(k RevisionKey) { pokes <- k }})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 0})
	bg := context.Background()
	expectPokes := func(n int) {
		t.Helper()
		for range n {
			select {
			case <-pokes:
			case <-time.After(10 * time.Second):
				t.Fatal("OnColdStart not called")
			}
		}
		select {
		case <-pokes:
			t.Fatal("OnColdStart called once too often")
		default:
		}
	}

	// Episode 1: two requests, one poke; kubelet marks a pod ready.
	a, b := startHeld(bg, th, testKey), startHeld(bg, th, testKey)
	waitQueued(t, th, testKey, 2)
	th.SetEndpoints(testKey, readyEndpoints(1))
	a.waitStarted(t)
	b.waitStarted(t)
	a.finish(t)
	b.finish(t)
	expectPokes(1)

	// Warm requests do not poke.
	if out, err := th.Try(bg, testKey, Queue, func(string, Outcome) error { return nil }); err != nil || out.ColdStart {
		t.Fatalf("warm Try: %+v, %v", out, err)
	}
	expectPokes(0)

	// Episode 2: scaled to zero again; a request that gives up, then another.
	th.SetEndpoints(testKey, nil)
	ctx, cancel := context.WithCancel(bg)
	c := startHeld(ctx, th, testKey)
	waitQueued(t, th, testKey, 1)
	cancel()
	if r := c.wait(t); !errors.Is(r.err, context.Canceled) || !r.out.ColdStart {
		t.Fatalf("canceled cold request: %+v", r)
	}
	expectPokes(1)
	d := startHeld(bg, th, testKey) // queue emptied: a new episode
	waitQueued(t, th, testKey, 1)
	expectPokes(1)
	th.SetEndpoints(testKey, readyEndpoints(1))
	d.waitStarted(t)
	d.finish(t)
}

// TestProbeStops checks that probing a not-ready pod stops in each of the
// ways it should: the prober's timer leaves the fake clock.
func TestProbeStops(t *testing.T) {
	notReady := []Endpoint{{Address: "10.0.0.9:8080"}}
	tests := []struct {
		name   string
		stop   func(th *Throttler)
		usable int
	}{
		{"ready in endpoints", func(th *Throttler) { th.SetEndpoints(testKey, []Endpoint{{Address: "10.0.0.9:8080", Ready: true}}) }, 1},
		{"gone from endpoints", func(th *Throttler) { th.SetEndpoints(testKey, nil) }, 0},
		{"revision deleted", func(th *Throttler) { th.DeleteRevision(testKey) }, -1},
		{"throttler closed", func(th *Throttler) { th.Close() }, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := testingclock.NewFakeClock(time.Now())
			var dials atomic.Int64
			th := newTestThrottler(t, Options{Clock: clk, Dial: func(context.Context, string, string) (net.Conn, error) {
				dials.Add(1)
				return nil, errors.New("refused")
			}})
			th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
			th.SetEndpoints(testKey, notReady)
			testutil.Eventually(t, 10*time.Second, "probe to wait", clk.HasWaiters)
			clk.Step(defaults.ProbePeriod)
			testutil.Eventually(t, 10*time.Second, "second probe", func() bool { return dials.Load() >= 2 && clk.HasWaiters() })

			tc.stop(th)
			testutil.Eventually(t, 10*time.Second, "probe loop to stop", func() bool { return !clk.HasWaiters() })
			if st, ok := th.Stats(testKey); tc.usable >= 0 && (!ok || st.Pods != tc.usable) {
				t.Errorf("stats %+v, want %d usable pods", st, tc.usable)
			}
		})
	}
}

// switchDial is a probe dialer that succeeds while up is set.
func switchDial(up *atomic.Bool) DialFunc {
	return func(context.Context, string, string) (net.Conn, error) {
		if !up.Load() {
			return nil, errors.New("connection refused")
		}
		c1, c2 := net.Pipe()
		_ = c2.Close()
		return c1, nil
	}
}

// TestDialFailureDemotesProbedPod: a pod used on our probe's word that a
// request cannot dial goes back to being probed.
func TestDialFailureDemotesProbedPod(t *testing.T) {
	var up atomic.Bool
	up.Store(true)
	th := newTestThrottler(t, Options{Dial: switchDial(&up), ProbePeriod: time.Millisecond})
	th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: 1})
	th.SetEndpoints(testKey, []Endpoint{{Address: "10.0.0.9:8080"}})
	testutil.Eventually(t, 10*time.Second, "probe to pass", func() bool { st, _ := th.Stats(testKey); return st.Pods == 1 })

	up.Store(false)
	_, err := th.Try(context.Background(), testKey, Queue, func(string, Outcome) error { return ErrDialFailed })
	if !errors.Is(err, ErrDialFailed) {
		t.Fatalf("Try: %v, want the dial error (no other pod)", err)
	}
	if st, _ := th.Stats(testKey); st.Pods != 0 {
		t.Fatalf("stats %+v, want the pod out of rotation", st)
	}
	h := startHeld(context.Background(), th, testKey)
	waitQueued(t, th, testKey, 1)
	up.Store(true)
	h.waitStarted(t)
	if r := h.finish(t); !r.out.ColdStart {
		t.Errorf("outcome %+v, want a cold start", r.out)
	}
}
