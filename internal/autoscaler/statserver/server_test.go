package statserver

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

var (
	revA    = types.NamespacedName{Namespace: "default", Name: "a-00001"}
	unknown = types.NamespacedName{Namespace: "default", Name: "gone-00001"}
)

type harness struct {
	t     *testing.T
	clock *clocktesting.FakeClock
	coll  *collector.Collector
	srv   *Server
	reg   *prometheus.Registry // the server's metrics
	addr  string
	pokes chan types.NamespacedName
	done  chan error
}

// fakeAuth stands in for statauth where the API server is not what a test
// is about: the token "fake:<pod>" proves pod, forever.
type fakeAuth struct{}

func (fakeAuth) Authenticate(_ context.Context, token string) (statauth.Identity, error) {
	pod, ok := strings.CutPrefix(token, "fake:")
	if !ok || pod == "" {
		return statauth.Identity{}, &statauth.Error{Reason: statauth.ReasonInvalid, Err: errors.New("not a fake token")}
	}
	return statauth.Identity{Pod: pod, Expiry: time.Unix(1<<40, 0)}, nil
}

// start runs a stat server with fakeAuth on a fake clock.
func start(t *testing.T) *harness {
	t.Helper()
	return startWith(t, clocktesting.NewFakeClock(time.Unix(1_764_000_000, 0)), Options{Authenticator: fakeAuth{}})
}

// startWith runs a stat server with o on loopback; the harness fills in
// the collector, Known (revA only), OnPoke, the clock, the log and a fresh
// registry.
func startWith(t *testing.T, clk *clocktesting.FakeClock, o Options) *harness {
	t.Helper()
	h := &harness{
		t:     t,
		clock: clk,
		coll:  collector.New(0),
		pokes: make(chan types.NamespacedName, 1024),
		done:  make(chan error, 1),
	}
	o.Collector = h.coll
	o.Known = func(k types.NamespacedName) bool { return k == revA }
	o.OnPoke = func(k types.NamespacedName) { h.pokes <- k }
	o.Clock = h.clock
	o.Log = testr.New(t)
	h.reg = prometheus.NewRegistry()
	o.Registerer = h.reg
	srv, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	h.srv = srv
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { h.done <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-h.done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after cancel")
		}
	})
	return h
}

// dialRaw connects without authenticating.
func (h *harness) dialRaw() net.Conn {
	h.t.Helper()
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		h.t.Fatal(err)
	}
	h.t.Cleanup(func() { _ = c.Close() })
	return c
}

// dial connects and authenticates as pod src with a fakeAuth token.
func (h *harness) dial(src string) net.Conn {
	h.t.Helper()
	c := h.dialRaw()
	if err := statwire.WriteAuth(c, "fake:"+src); err != nil {
		h.t.Fatal(err)
	}
	return c
}

// send writes a frame and waits until the server has applied it.
func (h *harness) send(c net.Conn, f statwire.Frame) {
	h.t.Helper()
	before := h.frames()
	if err := statwire.Write(c, f); err != nil {
		h.t.Fatal(err)
	}
	testutil.Eventually(h.t, waitTimeout, "frame applied", func() bool { return h.frames() > before })
}

func frame(src string, c float64) statwire.Frame {
	return statwire.Frame{Source: src, Stats: []statwire.Stat{{Namespace: revA.Namespace, Revision: revA.Name, AverageConcurrency: c, RequestCount: 1}}}
}

// decisions replays per-second loads through the server on conns (one
// source per conn, splitting the load evenly) and returns the decisions a
// decider fed from the collector takes every 2 s.
func decisions(t *testing.T, sources int, loads []float64) []decider.Decision {
	h := start(t)
	conns := make([]net.Conn, sources)
	for i := range conns {
		conns[i] = h.dial(string(rune('a' + i)))
	}
	d, err := decider.New(decider.Defaults())
	if err != nil {
		t.Fatal(err)
	}
	var out []decider.Decision
	current := int32(0)
	for sec, load := range loads {
		for i, c := range conns {
			h.send(c, frame(string(rune('a'+i)), load/float64(sources)))
		}
		d.Record(h.clock.Now(), h.coll.Concurrency(revA, h.clock.Now()))
		if sec%2 == 0 {
			dec := d.Decide(h.clock.Now(), decider.Input{ReadyPods: current, CurrentScale: current})
			current = dec.DesiredReplicas
			out = append(out, dec)
		}
		h.clock.Step(time.Second)
	}
	return out
}

func TestTwoActivatorsDecideLikeOne(t *testing.T) {
	loads := []float64{0, 140, 140, 280, 300, 150, 70, 70, 70, 0, 0, 35, 420, 70}
	one := decisions(t, 1, loads)
	two := decisions(t, 2, loads)
	if len(one) != len(two) {
		t.Fatalf("%d decisions vs %d", len(one), len(two))
	}
	for i := range one {
		if one[i] != two[i] {
			t.Errorf("decision %d: one activator %+v, two activators %+v", i, one[i], two[i])
		}
	}
	if one[len(one)-1].DesiredReplicas == 0 {
		t.Fatal("the load never scaled the revision: the comparison proves nothing")
	}
}

func TestSilentActivatorExpires(t *testing.T) {
	h := start(t)
	x, y := h.dial("x"), h.dial("y")
	h.send(x, frame("x", 5))
	h.send(y, frame("y", 5))
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != 10 {
		t.Fatalf("two activators: %v, want 10", got)
	}
	for range 4 {
		h.clock.Step(time.Second)
		h.send(y, frame("y", 5))
	}
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != 5 {
		t.Fatalf("after x went silent for 4 s: %v, want 5", got)
	}
	// x reconnects with the same source name and counts again.
	_ = x.Close()
	x = h.dial("x")
	h.send(x, frame("x", 2))
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != 7 {
		t.Fatalf("after x reconnected: %v, want 7", got)
	}
}

func TestBadInputIsDroppedAndCounted(t *testing.T) {
	h := start(t)
	c := h.dial("x")
	h.send(c, frame("x", 14))
	want := h.coll.Concurrency(revA, h.clock.Now())

	raw := []string{
		"this is not json\n",
		`{"src":"x","ts":1,"stats":[{"ns":"default","rev":"a-00001","c":NaN,"n":1}]}` + "\n",
		`{"src":"x","stats":[{"ns":"default","rev":"a-00001","c":"lots","n":1}]}` + "\n",
		"\n",
	}
	for _, line := range raw {
		if _, err := io.WriteString(c, line); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(h.t, waitTimeout, "bad frames counted", func() bool { return h.dropped(DropBadFrame) == float64(len(raw)) })

	neg := frame("x", -3)
	neg.Stats = append(neg.Stats, statwire.Stat{Namespace: unknown.Namespace, Revision: unknown.Name, AverageConcurrency: 50, Poke: true})
	h.send(c, neg)
	if err := statwire.Write(c, statwire.Frame{Stats: []statwire.Stat{{Namespace: "default", Revision: "a-00001", AverageConcurrency: 99}}}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(h.t, waitTimeout, "frame without source counted", func() bool { return h.dropped(DropNoSource) == 1 })
	for reason, n := range map[string]float64{DropInvalidStat: 1, DropUnknownRevision: 1, DropNoSource: 1} {
		if got := h.dropped(reason); got != n {
			t.Errorf("dropped{%s} = %v, want %v", reason, got, n)
		}
	}
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != want {
		t.Errorf("concurrency after bad input = %v, want %v unchanged", got, want)
	}
	select {
	case k := <-h.pokes:
		t.Errorf("poke for %v from a dropped entry", k)
	default:
	}
	// The connection survived all of it.
	h.send(c, frame("x", 21))
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != 21 {
		t.Errorf("after a good frame: %v, want 21", got)
	}
}

func TestFrameOverLimitClosesConnection(t *testing.T) {
	h := start(t)
	c := h.dial("x")
	h.send(c, frame("x", 3))
	big := `{"src":"x","stats":[],"pad":"` + strings.Repeat("x", statwire.MaxFrameBytes) + "\"}\n"
	go func() { _, _ = io.WriteString(c, big) }() // the server may close before it has all of it
	if err := c.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := bufio.NewReader(c).ReadByte()
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("read after an oversized frame: %v, want the connection closed", err)
	}
	testutil.Eventually(h.t, waitTimeout, "oversized frame counted", func() bool { return h.dropped(DropFrameTooLong) == 1 })
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != 3 {
		t.Errorf("concurrency = %v, want 3 unchanged", got)
	}
}

func TestPokeCallsBack(t *testing.T) {
	h := start(t)
	c := h.dial("x")
	f := statwire.Frame{Source: "x", Stats: []statwire.Stat{{Namespace: revA.Namespace, Revision: revA.Name, RequestCount: 1, Poke: true}}}
	if err := statwire.Write(c, f); err != nil {
		t.Fatal(err)
	}
	select {
	case k := <-h.pokes:
		if k != revA {
			t.Fatalf("poke for %v, want %v", k, revA)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no poke")
	}
	if got := h.coll.Concurrency(revA, h.clock.Now()); got != 1 {
		t.Errorf("concurrency after a poke = %v, want 1", got)
	}
}

func TestNewRejectsDuplicateRegistration(t *testing.T) {
	reg := prometheus.NewRegistry()
	o := Options{Collector: collector.New(0), Registerer: reg, Authenticator: fakeAuth{}}
	if _, err := New(o); err != nil {
		t.Fatal(err)
	}
	if _, err := New(o); err == nil {
		t.Fatal("second Server on one registry: want an error")
	}
	if _, err := New(Options{Authenticator: fakeAuth{}}); err == nil {
		t.Fatal("no collector: want an error")
	}
	if _, err := New(Options{Collector: collector.New(0)}); err == nil {
		t.Fatal("no authenticator: want an error")
	}
}
