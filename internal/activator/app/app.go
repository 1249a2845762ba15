// Package app runs the activator: the request path that package dataplane
// assembles, fed from the Kubernetes API (package feed: the caches and
// watchers of wake-config, the activators' endpoints and the routing
// objects), behind the server. cmd/activator only parses flags and calls
// Run.
package app

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"
	"k8s.io/client-go/rest"

	"github.com/wakefn/wake/internal/activator/dataplane"
	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/activator/ingress"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/server"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/scheme"
)

// Options configures Run.
type Options struct {
	// Kube reaches the API server.
	Kube *rest.Config
	// Addr is the data-plane listen address.
	Addr string
	// PeerPort is the data-plane port of the other activators, to which a
	// request this one has no share of capacity for is forwarded. 0 means
	// the port of Addr, or 8080 if Addr has none.
	PeerPort int
	// RateLimitAddr is where the other activators ask this one for tokens
	// of the rate-limit keys it owns; every activator listens on the same
	// port. "" (and no RateLimitListener) serves none and keeps every
	// count here, as for a single activator.
	RateLimitAddr string
	// RateLimitListener, if set, replaces RateLimitAddr.
	RateLimitListener net.Listener
	// AdminAddr serves /healthz, /readyz and /metrics.
	AdminAddr string
	// Listener and AdminListener, if set, replace Addr and AdminAddr
	// (tests listen on port 0).
	Listener, AdminListener net.Listener
	// KeeperSocket, if set and Listener is not, is the unix socket of the
	// listener keeper (package keeper) from which the data-plane listener
	// is taken instead of listening on Addr.
	KeeperSocket string
	// KeeperWait bounds waiting for the keeper to come up.
	KeeperWait time.Duration
	// AutoscalerAddress is the autoscaler's stat server, host:port.
	AutoscalerAddress string
	// StatsTokenFile is the projected ServiceAccount token presented to the
	// stat server; "" presents none (stat servers refuse that).
	StatsTokenFile string
	// SystemNamespace is Wake's namespace (wake-config, the activator
	// Service).
	SystemNamespace string
	// ActivatorService names the activators' Service.
	ActivatorService string
	// PodName and PodIP identify this activator.
	PodName, PodIP string
	// Dial, if set, replaces the dialer to pods, for probes and requests
	// alike (tests map pod addresses onto loopback).
	Dial throttler.DialFunc
	// DrainGrace keeps accepting requests after readiness turns off, so
	// that load balancers notice first.
	DrainGrace time.Duration
	// Log receives the activator's logs.
	Log logr.Logger
}

// peerPort returns PeerPort or its default.
func (o Options) peerPort() string {
	if o.PeerPort > 0 {
		return strconv.Itoa(o.PeerPort)
	}
	return portOf(o.Addr, "8080")
}

// peerAddrs returns the handler's Peers: the activators' IPs from sys with
// port appended, recomputed only when sys's list changes.
func peerAddrs(sys *feed.SystemWatcher, port string) func() []string {
	var (
		mu    sync.Mutex
		ips   []string
		addrs []string
	)
	return func() []string {
		cur := sys.Peers()
		mu.Lock()
		defer mu.Unlock()
		if !slices.Equal(cur, ips) {
			ips = cur
			addrs = make([]string, len(cur))
			for i, ip := range cur {
				if ip != "" {
					addrs[i] = net.JoinHostPort(ip, port)
				}
			}
		}
		return addrs
	}
}

// trustedProxies returns wake-config's trusted-proxies, kept current.
func trustedProxies(store *config.Store) *ingress.TrustedProxies {
	t := &ingress.TrustedProxies{}
	store.Subscribe(func(c *config.Config) { t.Set(c.Activator.TrustedProxies) })
	t.Set(store.Load().Activator.TrustedProxies)
	return t
}

// Run runs the activator until ctx ends, then drains.
func Run(ctx context.Context, o Options) error {
	kept := o.KeeperSocket != "" && o.Listener == nil
	if kept {
		ln, lease, err := keptListener(ctx, o)
		if err != nil {
			return err
		}
		defer func() { _ = lease.Close() }()
		o.Listener = ln
	}
	store := config.NewStore()
	sch := scheme.New()
	sysCache, err := feed.NewSystemCache(o.Kube, sch, o.SystemNamespace, o.ActivatorService)
	if err != nil {
		return fmt.Errorf("system cache: %w", err)
	}
	apiCache, err := feed.NewCache(o.Kube, sch)
	if err != nil {
		return fmt.Errorf("api cache: %w", err)
	}

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return sysCache.Start(gctx) })

	// The throttler's settings come from wake-config, so it is built once
	// the system cache has synced.
	sys := &feed.SystemWatcher{Cache: sysCache, Config: store, SelfIP: o.PodIP, Log: o.Log.WithName("system")}
	if err := sys.Start(gctx); err != nil {
		return errors.Join(err, g.Wait())
	}
	cfg := store.Load().Activator
	var mt *meter.Meter
	if mc := store.Load().Metering; mc.Mode != metering.ModeOff {
		mt = meter.New(meter.Options{Mode: mc.Mode, Window: mc.Window})
	}
	peers := peerAddrs(sys, o.peerPort())
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	dp, err := dataplane.New(dataplane.Options{
		Throttler:  throttler.Options{QueueDepth: cfg.QueueDepth, MaxHeld: cfg.MaxHeldRequests, MaxHeldPerNamespace: cfg.MaxHeldRequestsPerNamespace, ProbePeriod: cfg.ProbePeriod, Dial: o.Dial},
		Stats:      stats.Options{Source: o.PodName, Address: o.AutoscalerAddress, TokenFile: o.StatsTokenFile},
		Proxy:      proxy.Options{Dial: o.Dial},
		RateLimit:  ratelimit.Options{Peers: o.rateLimitPeers(sys)},
		TrustProxy: trustedProxies(store).Contains,
		Peers:      peers,
		Meter:      mt,
		Registry:   reg,
		Logger:     o.Log,
	})
	if err != nil {
		return fmt.Errorf("data plane: %w", err)
	}
	defer func() { _ = dp.Close() }()
	sys.BindActivators(dp.SetActivators)
	sliceRefused, err := feed.NewRefusedSlicesCounter(reg)
	if err != nil {
		return err
	}
	watcher := &feed.Watcher{Cache: apiCache, Mirrors: sysCache, Table: dp.Table, Throttler: dp.Throttler, Config: store, Log: o.Log.WithName("watcher"),
		OnRevisionDeleted: dp.Metrics.DeleteRevision, OnRouteDeleted: dp.RouteDeleted, OnSliceRefused: sliceRefused}
	tenants := &feed.TenantWatcher{Cache: apiCache, Config: store, Limits: dp.Tenants, Log: o.Log.WithName("tenants")}
	// Ready once requests are routed and the tenant limits known.
	loaded := func() bool { return dp.Table.Loaded() && tenants.Loaded() }
	if kept {
		o.Listener = whenReady(o.Listener, loaded)
	}

	g.Go(func() error { return apiCache.Start(gctx) })
	g.Go(func() error { return watcher.Start(gctx) })
	g.Go(func() error { return tenants.Start(gctx) })
	// The reporter outlives the server's drain: it sends what the last
	// requests measured (Flush) before it stops.
	statsCtx, stopStats := context.WithCancel(context.WithoutCancel(gctx))
	defer stopStats()
	g.Go(func() error { dp.Stats.Run(statsCtx); return nil })
	g.Go(func() error { dp.RateLimits.Run(gctx); return nil })
	g.Go(func() error { return servePeers(gctx, o, dp.RateLimits, peers) })
	g.Go(func() error {
		defer stopStats()
		defer flushStats(o.Log, dp.Stats)
		return server.Run(gctx, dp.ServerOptions(server.Options{
			Addr: o.Addr, AdminAddr: o.AdminAddr, Listener: o.Listener, AdminListener: o.AdminListener,
			Metrics:    promhttp.HandlerFor(reg, promhttp.HandlerOpts{}),
			Ready:      loaded,
			DrainGrace: o.DrainGrace, DrainTimeout: store.Load().Activator.DrainTimeout, Logger: o.Log.WithName("server"),
			MaxConnections: cfg.MaxConnections,
		}))
	})
	return g.Wait()
}

// FlushTimeout bounds how long a stopping activator waits for its last
// stats and metering frames to be written.
const FlushTimeout = 5 * time.Second

// flushStats sends the reporter's last frames, within FlushTimeout.
func flushStats(log logr.Logger, r *stats.Reporter) {
	ctx, cancel := context.WithTimeout(context.Background(), FlushTimeout)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		log.Error(err, "last stats and metering frames not all sent")
		return
	}
	log.Info("last stats and metering frames sent")
}
