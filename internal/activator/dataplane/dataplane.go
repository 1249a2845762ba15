// Package dataplane assembles the activator's request path in memory: the
// routing table, the throttler, the stats reporter, the metrics, the
// client watcher, the proxy and the handler, each given the others'
// callbacks directly. It is the one place they are wired together: app
// (the activator process), the handler's tests and the activator benchmark
// all build the request path with New.
//
// What belongs here is that assembly and nothing else: no behaviour (it
// lives in the leaf packages wired here) and nothing that needs the
// Kubernetes API. app feeds the table and the throttler from the API
// (package feed) and runs the server around a DataPlane; tests and the
// benchmark fill them by hand.
package dataplane

import (
	"errors"
	"fmt"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/clientgone"
	"github.com/wakefn/wake/internal/activator/handler"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/reqlog"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/server"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/activator/usage"
)

// Options tunes the parts. The callbacks between parts are New's to set:
// in Throttler, OnWait and OnColdStart; in Proxy, TrustProxy (from the
// fields below). Every part's Logger is a named child of Logger.
type Options struct {
	// Throttler tunes the throttler: queue depth, held requests, probes,
	// the dialer to pods.
	Throttler throttler.Options
	// Stats tunes the stats reporter: this activator's name and the stat
	// servers' address and token. The caller runs the reporter
	// (DataPlane.Stats.Run).
	Stats stats.Options
	// Proxy tunes the proxy to pods.
	Proxy proxy.Options
	// Tenants tunes the enforcement of the namespaces' tenant limits (its
	// clock). The caller feeds it (DataPlane.Tenants.SetLimits).
	Tenants tenant.Options
	// RateLimit tunes the counting of the Routes' rate limits: the peers'
	// rate-limit addresses, the clock. Its TrustProxy and Logger are New's
	// to set.
	RateLimit ratelimit.Options
	// TrustProxy reports whether a client address (RemoteAddr) is one of
	// the proxies in front of the activators, whose X-Forwarded-* headers
	// are kept; nil trusts none. Peers are trusted as well.
	TrustProxy func(remoteAddr string) bool
	// Peers returns the data-plane addresses (ip:port) of the ready
	// activators by index (handler.Options.Peers); nil disables forwarding
	// to the activator that owns a revision's capacity.
	Peers func() []string
	// Meter meters the requests for billing; nil meters none. The stats
	// reporter carries what it holds.
	Meter *meter.Meter
	// Registry receives the metrics; nil means a registry of their own.
	Registry prometheus.Registerer
	// Logger receives the parts' logs, each under its own name.
	Logger logr.Logger
}

// DataPlane is the assembled request path. Its parts are exported for the
// code around it: the feed fills Table and Throttler, the server serves
// Handler, tests look at all of them.
type DataPlane struct {
	// Table is the routing table Handler reads; empty until stored.
	Table *routing.Holder
	// Throttler holds the revisions and their pods.
	Throttler *throttler.Throttler
	// Stats measures concurrency for the autoscaler, and pokes it on a
	// cold start.
	Stats *stats.Reporter
	// Metrics are the activator's Prometheus metrics.
	Metrics *metrics.Metrics
	// Tenants enforces the namespaces' tenant limits: the handler asks it
	// on every request, the throttler for the limit on held requests.
	Tenants *tenant.Limiter
	// Logs holds the request log lines of the rules that log, until the
	// stats reporter sends them.
	Logs *reqlog.Buffer
	// Usage counts the requests of Route rules; the stats reporter sends
	// its counts with every periodic frame.
	Usage *usage.Counter
	// RateLimits counts the Routes' rate limits; its peers ask it through
	// RateLimits.PeerHandler, which the caller serves.
	RateLimits *ratelimit.Limiter
	// Handler is the data-plane http.Handler.
	Handler *handler.Handler

	gone  *clientgone.Watcher
	proxy *proxy.Proxy
}

// New assembles a DataPlane. Close it once its server has stopped.
func New(o Options) (*DataPlane, error) {
	log := o.Logger
	d := &DataPlane{Table: &routing.Holder{}}

	d.Usage, d.Logs = usage.New(nil), reqlog.NewBuffer(0)
	so := o.Stats
	so.Logger, so.Usage, so.Logs = log.WithName("stats"), d.Usage.Snapshot, d.Logs.Take
	if o.Meter != nil {
		so.Metering, so.FinalMetering = o.Meter.Snapshot, o.Meter.Final
	}
	d.Stats = stats.New(so)

	gone, err := clientgone.New(clientgone.Options{Logger: log.WithName("clientgone")})
	if err != nil {
		log.Error(err, "queued requests of vanished clients will wait until their timeout")
	}
	d.gone = gone

	d.Tenants = tenant.New(o.Tenants)
	to := o.Throttler
	to.OnWait, to.OnColdStart, to.Logger = gone.Hold, d.Stats.Poke, log.WithName("throttler")
	to.TenantHeld = d.Tenants.HeldShare
	d.Throttler = throttler.New(to)

	reg := o.Registry
	if reg == nil {
		reg = prometheus.NewRegistry()
	}
	mo := metrics.Options{
		Depth: throttlerDepth(d.Throttler), StatsDropped: d.Stats.Dropped, LogLinesDropped: d.Logs.Dropped, ClientsGone: gone.Gone, TenantInFlight: d.Tenants.RangeInFlight,
	}
	if o.Meter != nil {
		mo.MeteringDropped = func() uint64 { return uint64(o.Meter.Overflow()) }
	}
	d.Metrics, err = metrics.New(reg, mo)
	if err != nil {
		d.Throttler.Close()
		return nil, errors.Join(fmt.Errorf("metrics: %w", err), gone.Close())
	}

	ro := o.RateLimit
	ro.TrustProxy, ro.Logger = o.TrustProxy, log.WithName("ratelimit")
	d.RateLimits = ratelimit.New(ro)

	po := o.Proxy
	po.TrustProxy, po.Logger = trustProxy(o.TrustProxy, o.Peers), log.WithName("proxy")
	d.proxy = proxy.New(po)
	d.Handler = handler.New(handler.Options{
		Table: d.Table, Throttler: d.Throttler, Proxy: d.proxy, Stats: d.Stats, Metrics: d.Metrics,
		Tenants: d.Tenants, RateLimits: d.RateLimits, Usage: d.Usage, Logs: d.Logs, Meter: o.Meter, Peers: o.Peers, Logger: log.WithName("handler"),
	})
	return d, nil
}

// SetActivators tells the parts that split their limits among the
// activators (the throttler: each pod's containerConcurrency; the tenant
// limits; the rate limits' owners) that there are count activators and
// this one has index.
func (d *DataPlane) SetActivators(count, index int) {
	d.Throttler.SetActivators(count, index)
	d.Tenants.SetActivators(count, index)
	d.RateLimits.SetActivators(count, index)
}

// RouteDeleted forgets a deleted Route's metrics and usage counts.
func (d *DataPlane) RouteDeleted(route types.NamespacedName) {
	d.Metrics.DeleteRoute(route)
	d.Usage.Forget(route)
}

// ServerOptions returns o with the data plane's part of the activator's
// server set: the handler, the connection context the client watcher
// reads, and the count of connections refused over the cap.
func (d *DataPlane) ServerOptions(o server.Options) server.Options {
	o.Handler = d.Handler
	o.ConnContext = clientgone.WithConn
	o.OnConnRefused = func() { d.Metrics.Refused(metrics.RefusedConnections) }
	return o
}

// Close stops the throttler and the client watcher and closes idle
// connections to pods.
func (d *DataPlane) Close() error {
	d.Throttler.Close()
	d.proxy.CloseIdleConnections()
	return d.gone.Close()
}

// trustProxy is the proxy's TrustProxy: a configured proxy, or a peer.
func trustProxy(proxies func(string) bool, peers func() []string) func(string) bool {
	if proxies == nil && peers == nil {
		return nil
	}
	return func(ra string) bool {
		return proxies != nil && proxies(ra) || handler.FromPeer(peers, ra)
	}
}

// throttlerDepth adapts the throttler's per-revision stats to the metrics'
// queue depth and in-flight gauges.
func throttlerDepth(th *throttler.Throttler) metrics.DepthFunc {
	return func(f func(key types.NamespacedName, queued, inflight int)) {
		th.RangeStats(func(k throttler.RevisionKey, s throttler.RevisionStats) { f(k, s.Queued, s.InFlight) })
	}
}
