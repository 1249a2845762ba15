package handler_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/activator/dataplane"
	"github.com/wakefn/wake/internal/activator/handler"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/server"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/testutil"
)

// env is a running activator: the request path as dataplane.New builds it
// (routing table, throttler, stats, metrics, client watcher, proxy,
// handler) behind server.Run on 127.0.0.1.
type env struct {
	t     *testing.T
	dp    *dataplane.DataPlane
	th    *throttler.Throttler
	table *routing.Holder
	h     *handler.Handler
	reg   *prometheus.Registry
	st    *stats.Reporter
	addr  string
	admin string
	stop  context.CancelFunc // starts draining
	done  chan error         // server.Run's result

	mu     sync.Mutex
	revs   []routing.RevisionInput
	routes []routing.RouteInput // added by addRoute, kept across rebuilds
}

func newEnv(t *testing.T) *env {
	t.Helper()
	return newPeerEnv(t, nil)
}

// newPeerEnv is newEnv with the handler's Options.Peers set to peers.
func newPeerEnv(t *testing.T, peers func() []string) *env {
	t.Helper()
	return newEnvWith(t, envOptions{peers: peers})
}

// envOptions tunes newEnvWith; zero fields take the defaults.
type envOptions struct {
	peers   func() []string // the handler's Options.Peers
	maxHeld int             // the throttler's Options.MaxHeld
	// maxHeldPerNamespace is the throttler's Options.MaxHeldPerNamespace.
	maxHeldPerNamespace int
	maxConnections      int // the server's Options.MaxConnections
	// clock is the tenant limits' clock (tenant.Options.Clock).
	clock clock.PassiveClock
	// meter is the data plane's Meter (dataplane.Options.Meter).
	meter *meter.Meter
}

// newEnvWith is newEnv tuned by o.
func newEnvWith(t *testing.T, o envOptions) *env {
	t.Helper()
	e := &env{t: t, reg: prometheus.NewRegistry()}
	dp, err := dataplane.New(dataplane.Options{
		Throttler: throttler.Options{MaxHeld: o.maxHeld, MaxHeldPerNamespace: o.maxHeldPerNamespace},
		Stats:     stats.Options{Source: "test"},
		Proxy:     proxy.Options{BodyIdleTimeout: 300 * time.Millisecond},
		Tenants:   tenant.Options{Clock: o.clock},
		Peers:     o.peers,
		Meter:     o.meter,
		Registry:  e.reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	e.dp, e.th, e.table, e.h, e.st = dp, dp.Throttler, dp.Table, dp.Handler, dp.Stats
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	e.addr, e.admin = ln.Addr().String(), aln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	e.stop, e.done = cancel, done
	go func() {
		done <- server.Run(ctx, dp.ServerOptions(server.Options{
			Listener: ln, AdminListener: aln,
			ReadHeaderTimeout: 300 * time.Millisecond, MaxHeaderBytes: 4 << 10,
			DrainTimeout: 2 * time.Second, MaxConnections: o.maxConnections,
		}))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server.Run: %v", err)
		}
		done <- nil
		if err := dp.Close(); err != nil {
			t.Errorf("data plane Close: %v", err)
		}
	})
	return e
}

// coldStarts counts the throttler's cold-start pokes: the env's stats
// reporter knows no stat server (and does not run), so each poke it gets
// is a frame dropped, and nothing else drops one.
func (e *env) coldStarts() uint64 { return e.st.Dropped() }

// revision registers revision name with the given pods and routes host
// "{name}.test" to it.
func (e *env) revision(name string, cc, depth int, timeoutSeconds int64, pods ...string) types.NamespacedName {
	return e.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "ns", Name: name}, TimeoutSeconds: timeoutSeconds}, cc, depth, pods...)
}

// register is revision for any routing settings, in any namespace; host
// "{in.Key.Name}.test" goes to it, so names must differ across namespaces.
func (e *env) register(in routing.RevisionInput, cc, depth int, pods ...string) types.NamespacedName {
	e.th.UpsertRevision(in.Key, throttler.RevisionConfig{ContainerConcurrency: cc, QueueDepth: depth})
	var eps []throttler.Endpoint
	for _, p := range pods {
		eps = append(eps, throttler.Endpoint{Address: p, Ready: true})
	}
	e.th.SetEndpoints(in.Key, eps)
	e.routeInput(in)
	return in.Key
}

// route adds host "{name}.test" → ns/name without touching the throttler.
func (e *env) route(name string, timeoutSeconds int64) {
	e.routeInput(routing.RevisionInput{Key: types.NamespacedName{Namespace: "ns", Name: name}, TimeoutSeconds: timeoutSeconds})
}

// routeInput adds host "{in.Key.Name}.test" → in.Key.
func (e *env) routeInput(rin routing.RevisionInput) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.revs = append(e.revs, rin)
	e.rebuildLocked()
}

// addRoute adds r to the table, next to the routes revision makes; r's
// targets must be registered revisions.
func (e *env) addRoute(r routing.RouteInput) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.routes = append(e.routes, r)
	e.rebuildLocked()
}

// rebuildLocked stores a table of e.revs' and e.routes' routes; e.mu is
// held.
func (e *env) rebuildLocked() {
	in := routing.Input{Revisions: e.revs, Routes: slices.Clone(e.routes)}
	for _, r := range e.revs {
		in.Routes = append(in.Routes, routing.RouteInput{
			Namespace: r.Key.Namespace, Name: r.Key.Name, Hosts: []string{r.Key.Name + ".test"},
			Rules: []routing.RuleInput{
				{Match: routing.MatchInput{Path: "/"}, Traffic: []routing.TrafficInput{{Revision: r.Key, Percent: 100}}},
				{Match: routing.MatchInput{Path: "/ro", Methods: []string{"GET"}}, Traffic: []routing.TrafficInput{{Revision: r.Key, Percent: 100}}},
			},
		})
	}
	tbl, problems := routing.Build(in)
	if len(problems) > 0 {
		e.t.Fatalf("routing problems: %v", problems)
	}
	e.table.Store(tbl)
}

// do sends one bodiless request for host, with the headers hdr (name,
// value, ...), and returns status, header and body.
func (e *env) do(ctx context.Context, method, host, path string, hdr ...string) (int, http.Header, string, error) {
	req, _ := http.NewRequestWithContext(ctx, method, "http://"+e.addr+path, nil)
	req.Host = host
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer func() { _ = res.Body.Close() }()
	b, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, string(b), err
}

// get is do for a GET that must not fail at transport level.
func (e *env) get(host, path string) (int, http.Header, string) {
	e.t.Helper()
	code, h, body, err := e.do(context.Background(), "GET", host, path)
	if err != nil {
		e.t.Fatalf("GET %s%s: %v", host, path, err)
	}
	return code, h, body
}

// okBackend answers "ok".
func okBackend(t *testing.T) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(s.Close)
	return s
}

func hostOf(s *httptest.Server) string { return s.Listener.Addr().String() }

func (e *env) queued(key types.NamespacedName) int {
	s, _ := e.th.Stats(key)
	return s.Queued
}

// cancelWhileQueued sends a GET for host, waits until revision key holds
// it and, if coldStart, until its cold start was reported; then it
// cancels the request and checks that it failed and left the queue.
func (e *env) cancelWhileQueued(host string, key types.NamespacedName, coldStart bool) {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	errc := make(chan error, 1)
	go func() { _, _, _, err := e.do(ctx, "GET", host, "/"); errc <- err }()
	testutil.Eventually(e.t, 10*time.Second, "request queued", func() bool { return e.queued(key) == 1 })
	if coldStart {
		testutil.Eventually(e.t, 10*time.Second, "cold start reported", func() bool { return e.coldStarts() == 1 })
	}
	cancel()
	if err := <-errc; err == nil {
		e.t.Fatal("cancelled request succeeded")
	}
	testutil.Eventually(e.t, 10*time.Second, "queue empty", func() bool { return e.queued(key) == 0 })
}

// checkWarm checks that a GET for host is answered 200 and not as a cold
// start.
func (e *env) checkWarm(host string) {
	e.t.Helper()
	if code, h, _ := e.get(host, "/"); code != 200 || h.Get(proxy.ColdStartHeader) != "" {
		e.t.Fatalf("warm request: %d, %s=%q", code, proxy.ColdStartHeader, h.Get(proxy.ColdStartHeader))
	}
}

// background keeps sending requests to host until the returned stop is
// called, and fails the test if any does not answer 200 "ok".
func (e *env) background(host string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	n := 0
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			code, _, body, err := e.do(context.Background(), "GET", host, "/")
			if err != nil || code != 200 || body != "ok" {
				e.t.Errorf("background request: %d %q %v", code, body, err)
				return
			}
			n++
		}
	}()
	return func() {
		cancel()
		wg.Wait()
		if n == 0 {
			e.t.Errorf("background loop sent no request")
		}
	}
}

// metric returns the value of a counter (or a histogram's count) of
// revision ns/rev with status code; code "" leaves the code out (series
// without a code label). A series not there reads 0.
func (e *env) metric(name, ns, rev, code string) float64 {
	e.t.Helper()
	labels := map[string]string{"namespace": ns, "revision": rev}
	if code != "" {
		labels["code"] = code
	}
	v, _ := testutil.MetricValue(e.t, e.reg, name, labels)
	return v
}

// gauge returns a gauge's value for revision rev, or -1 if it has none.
func (e *env) gauge(name, rev string) float64 {
	e.t.Helper()
	v, ok := testutil.MetricValue(e.t, e.reg, name, map[string]string{"revision": rev})
	if !ok {
		return -1
	}
	return v
}
