package stats

import (
	"context"
	"net"
	"slices"
	"sync"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// listen returns a listener on a fresh 127.0.0.1 port.
func listen(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	return ln
}

// fakeDNS is a Resolver whose answer the test changes.
type fakeDNS struct {
	mu    sync.Mutex
	addrs []string
	err   error
}

func (d *fakeDNS) set(addrs []string, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.addrs, d.err = addrs, err
}

func (d *fakeDNS) resolve(context.Context) ([]string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return slices.Clone(d.addrs), d.err
}

// runReporter runs r until the test ends.
func runReporter(t *testing.T, r *Reporter) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { r.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// nextWhere returns the next frame on ch that matches, skipping others.
func nextWhere(t *testing.T, ch <-chan statwire.Frame, match func(statwire.Frame) bool) statwire.Frame {
	t.Helper()
	for {
		if f := next(t, ch); match(f) {
			return f
		}
	}
}

// waitClosed waits until the reporter closed the connection ch reads.
func waitClosed(t *testing.T, ch <-chan statwire.Frame) {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case _, ok := <-ch:
			if !ok {
				return
			}
		case <-timeout:
			t.Fatal("connection still open after 10s")
		}
	}
}

func isPoke(rev string) func(statwire.Frame) bool {
	return func(f statwire.Frame) bool { return len(f.Stats) == 1 && f.Stats[0].Poke && f.Stats[0].Revision == rev }
}

// TestPeriodicFrameEvenWhenEmpty: every period gives a frame, an empty
// snapshot when there was no traffic, so the autoscaler sees the revision
// drop to zero from this activator (and the activator as alive).
func TestPeriodicFrameEvenWhenEmpty(t *testing.T) {
	ln := listen(t)
	fc := clocktesting.NewFakeClock(time.Unix(1000, 0))
	r := New(Options{Source: "act-1", Address: ln.Addr().String(), Clock: fc})
	runReporter(t, r)
	_, frames := acceptFrames(t, ln)

	h := r.Begin(revA)
	fc.Step(time.Second)
	if f := next(t, frames); len(f.Stats) != 1 || f.Stats[0].Revision != "a-1" || f.Stats[0].Poke {
		t.Fatalf("busy period: %+v", f)
	}
	h.Done()
	for range 2 {
		fc.Step(time.Second)
		if f := next(t, frames); f.Source != "act-1" || f.Stats == nil || len(f.Stats) != 0 {
			t.Fatalf("idle period: %+v, want an empty snapshot", f)
		}
	}
}

// TestFanOutToEveryStatServer: every resolved stat server gets every frame
// over its own connection; one that cannot be reached does not hold up
// the others; re-resolution adds and removes servers.
func TestFanOutToEveryStatServer(t *testing.T) {
	ln1, ln2, ln3 := listen(t), listen(t), listen(t)
	deadLn := listen(t)
	dead := deadLn.Addr().String()
	if err := deadLn.Close(); err != nil {
		t.Fatal(err)
	}
	dns := &fakeDNS{}
	dns.set([]string{ln1.Addr().String(), dead, ln2.Addr().String()}, nil)
	fc := clocktesting.NewFakeClock(time.Unix(1000, 0))
	r := New(Options{Source: "act-1", Address: "wake-autoscaler.wake-system.svc:8090", Resolver: dns.resolve, Clock: fc})
	runReporter(t, r)
	c1, frames1 := acceptFrames(t, ln1)
	_, frames2 := acceptFrames(t, ln2)

	r.Poke(revA)
	for _, ch := range []<-chan statwire.Frame{frames1, frames2} {
		if f := next(t, ch); !isPoke("a-1")(f) { // though the third is down
			t.Fatalf("got %+v, want the poke", f)
		}
	}
	h := r.Begin(revB)
	fc.Step(time.Second)
	f1, f2 := nextWhere(t, frames1, func(f statwire.Frame) bool { return len(f.Stats) > 0 && !f.Stats[0].Poke }),
		nextWhere(t, frames2, func(f statwire.Frame) bool { return len(f.Stats) > 0 && !f.Stats[0].Poke })
	if f1.Timestamp != f2.Timestamp || !slices.Equal(f1.Stats, f2.Stats) || f1.Stats[0].Revision != "b-1" {
		t.Fatalf("servers got different periodic frames: %+v and %+v", f1, f2)
	}
	h.Done()

	// A failed resolution keeps the servers.
	dns.set(nil, &net.DNSError{Err: "server misbehaving", Name: "wake-autoscaler"})
	fc.Step(DefaultResolvePeriod)
	r.Poke(revA)
	nextWhere(t, frames1, isPoke("a-1"))
	nextWhere(t, frames2, isPoke("a-1"))

	// Failover: server 1 leaves, server 3 arrives.
	dns.set([]string{ln2.Addr().String(), ln3.Addr().String(), dead}, nil)
	fc.Step(DefaultResolvePeriod)
	_, frames3 := acceptFrames(t, ln3)
	testutil.Eventually(t, 10*time.Second, "server 1 removed", func() bool { return !slices.Contains(r.Targets(), ln1.Addr().String()) })
	waitClosed(t, frames1)
	_ = c1.Close()
	r.Poke(revB)
	nextWhere(t, frames2, isPoke("b-1"))
	nextWhere(t, frames3, isPoke("b-1"))
	want := []string{ln2.Addr().String(), ln3.Addr().String(), dead}
	slices.Sort(want)
	if got := r.Targets(); !slices.Equal(got, want) {
		t.Errorf("targets %v, want %v", got, want)
	}
}
