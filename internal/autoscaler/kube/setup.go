package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/rest"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/routelogs"
	"github.com/wakefn/wake/internal/autoscaler/routeusage"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
	"github.com/wakefn/wake/internal/autoscaler/statserver"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy/inputs"
)

// DefaultStatsAddr is where the stat server listens for the activators.
const DefaultStatsAddr = ":8090"

// Defaults of the identity whose tokens the stat server accepts.
const (
	DefaultSystemNamespace         = "wake-system"
	DefaultActivatorServiceAccount = "wake-activator"
	// DefaultDispatcherServiceAccount is the Kafka dispatchers'
	// ServiceAccount: they report the demand of their triggers' backlog.
	DefaultDispatcherServiceAccount = "wake-dispatcher"
)

// Options configure Setup. The zero value is what production wants.
type Options struct {
	// StatsAddr is the stat server's TCP address; "" means DefaultStatsAddr.
	StatsAddr string
	// StatsListener, when set, is served instead of listening on StatsAddr
	// (tests listen on 127.0.0.1:0).
	StatsListener net.Listener
	// Registerer receives the autoscaler's metrics; nil means
	// controller-runtime's metrics.Registry, served on the manager's
	// metrics endpoint.
	Registerer prometheus.Registerer
	// TickInterval is how often the scaler decides; 0 means
	// scaler.DefaultTickInterval.
	TickInterval time.Duration
	// Clock drives the autoscaler; nil means the real clock.
	Clock clock.WithTicker
	// SystemNamespace is the namespace of the activators' ServiceAccount;
	// "" means DefaultSystemNamespace.
	SystemNamespace string
	// ActivatorServiceAccount is the ServiceAccount whose pod-bound tokens
	// may report stats; "" means DefaultActivatorServiceAccount.
	ActivatorServiceAccount string
	// DispatcherServiceAccount is the other ServiceAccount whose pod-bound
	// tokens may report stats; "" means DefaultDispatcherServiceAccount.
	DispatcherServiceAccount string
	// Stats, when set, is the collector the stat server fills, so that
	// others can read it too (collector.Usage); nil means a new one.
	Stats *collector.Collector
}

// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=list;watch
// +kubebuilder:rbac:groups=apps,resources=deployments/scale,verbs=get;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions/status,verbs=patch
// +kubebuilder:rbac:groups=authentication.k8s.io,resources=tokenreviews,verbs=create
// +kubebuilder:rbac:groups=serving.wake.dev,resources=tenantpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// Setup adds the autoscaler to mgr: a stat server and a scaler, both on
// every replica. The stat server collects the activators' stats so that a
// standby has the history when it is elected; the scaler samples everywhere
// but decides, writes Deployment scales and patches Revision status only
// once mgr.Elected() is closed. Deployment and Revision informers on mgr's
// cache feed the scaler, and store's updates make it re-derive every
// revision's settings. TenantPolicy and Namespace informers feed the
// namespaces' pod limits (TenantLimits), which the scaler enforces. Call
// it before mgr.Start.
func Setup(mgr ctrl.Manager, store *config.Store, opts Options) error {
	if store == nil {
		return errors.New("set up autoscaler: no config store")
	}
	log := mgr.GetLogger().WithName("autoscaler")
	reg := opts.Registerer
	if reg == nil {
		reg = ctrlmetrics.Registry
	}
	clk := opts.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	addr := opts.StatsAddr
	if addr == "" {
		addr = DefaultStatsAddr
	}

	stats := opts.Stats
	if stats == nil {
		stats = collector.New(0)
	}
	limits := NewTenantLimits(mgr.GetCache(), store, log.WithName("tenants"))
	// Scale writes get a client, and a client-side rate limit, of their
	// own: a wake must not queue behind the reconcilers' writes.
	writer, err := client.New(rest.CopyConfig(mgr.GetConfig()), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
	if err != nil {
		return fmt.Errorf("set up autoscaler: scale client: %w", err)
	}
	sc, err := scaler.New(scaler.Options{
		Client:       writer,
		ReplicaSets:  &ReplicaSets{Deployments: mgr.GetCache(), Lister: mgr.GetAPIReader(), Writer: writer},
		Targets:      &Targets{Reader: mgr.GetCache(), Config: store},
		Stats:        stats,
		Status:       &StatusRecorder{Client: mgr.GetClient(), Clock: clk},
		Limits:       limits,
		Elected:      mgr.Elected(),
		Clock:        clk,
		Log:          log.WithName("scaler"),
		Registerer:   reg,
		TickInterval: opts.TickInterval,
	})
	if err != nil {
		return fmt.Errorf("set up autoscaler: %w", err)
	}
	auth, err := newAuthenticator(mgr, opts, clk, log.WithName("statauth"))
	if err != nil {
		return fmt.Errorf("set up autoscaler: %w", err)
	}
	usage, logs := routeusage.New(), routelogs.NewStore()
	for _, c := range []prometheus.Collector{usage.DroppedCounter(), logs.DroppedCounter()} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("set up autoscaler: %w", err)
		}
	}
	meter, err := newMeterAggregator(mgr.GetCache(), store, clk, reg)
	if err != nil {
		return fmt.Errorf("set up autoscaler: %w", err)
	}
	_, dispatcher := identities(opts)
	srv, err := statserver.New(statserver.Options{
		Addr:          addr,
		StatsOnly:     []string{dispatcher},
		Collector:     stats,
		Known:         sc.Tracked,
		OnPoke:        sc.Poke,
		OnUsage:       usage.Apply,
		OnLogs:        logs.Apply,
		OnMetering:    meter.Apply,
		Clock:         clk,
		Log:           log.WithName("statserver"),
		Registerer:    reg,
		Authenticator: auth,
	})
	if err != nil {
		return fmt.Errorf("set up autoscaler: %w", err)
	}
	regs, err := watch(mgr, sc, limits)
	if err != nil {
		return fmt.Errorf("set up autoscaler: %w", err)
	}
	store.Subscribe(func(*config.Config) { sc.TargetsChanged(); limits.Changed() })
	if err := mgr.Add(scalerRunnable{sc: sc, limits: limits, regs: regs}); err != nil {
		return fmt.Errorf("set up autoscaler: add scaler: %w", err)
	}
	if err := mgr.Add(&routeusage.Writer{Client: mgr.GetClient(), Aggregator: usage, Clock: clk, Log: log.WithName("usage")}); err != nil {
		return fmt.Errorf("set up autoscaler: add usage writer: %w", err)
	}
	if err := mgr.Add(&routelogs.Writer{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), Store: logs, Clock: clk, Log: log.WithName("logs")}); err != nil {
		return fmt.Errorf("set up autoscaler: add logs writer: %w", err)
	}
	if err := addMetering(mgr, meter, store, cmp.Or(opts.SystemNamespace, DefaultSystemNamespace), clk, reg, log); err != nil {
		return fmt.Errorf("set up autoscaler: %w", err)
	}
	if err := mgr.Add(statsRunnable{srv: srv, ln: opts.StatsListener}); err != nil {
		return fmt.Errorf("set up autoscaler: add stat server: %w", err)
	}
	return nil
}

// watch registers the event handlers that feed sc on mgr's cache and
// returns their registrations. Before the manager starts, getting an
// informer only registers it.
func watch(mgr ctrl.Manager, sc *scaler.Scaler, limits *TenantLimits) ([]toolscache.ResourceEventHandlerRegistration, error) {
	ctx := context.Background()
	deps, err := mgr.GetCache().GetInformer(ctx, &appsv1.Deployment{})
	if err != nil {
		return nil, fmt.Errorf("get deployment informer: %w", err)
	}
	depReg, err := deps.AddEventHandler(deploymentHandler{sink: sc})
	if err != nil {
		return nil, fmt.Errorf("watch deployments: %w", err)
	}
	revs, err := mgr.GetCache().GetInformer(ctx, &servingv1alpha1.Revision{})
	if err != nil {
		return nil, fmt.Errorf("get revision informer: %w", err)
	}
	revReg, err := revs.AddEventHandler(revisionHandler{changed: sc.TargetsChanged})
	if err != nil {
		return nil, fmt.Errorf("watch revisions: %w", err)
	}
	tenantRegs, err := inputs.Watch(ctx, mgr.GetCache(), limits.Changed)
	if err != nil {
		return nil, err
	}
	return append([]toolscache.ResourceEventHandlerRegistration{depReg, revReg}, tenantRegs...), nil
}

// scalerRunnable starts the scaler, on every replica, once the event
// handlers have been handed every object of the informers' initial
// listing (an informer can report synced before its handlers have run, and
// a poke served before the Deployment is observed would be dropped) and
// the tenant limits are resolved.
type scalerRunnable struct {
	sc     *scaler.Scaler
	limits *TenantLimits
	regs   []toolscache.ResourceEventHandlerRegistration
}

// Start waits for the handlers and resolves the tenant limits, then runs
// the scaler and keeps the limits current until ctx is done.
func (r scalerRunnable) Start(ctx context.Context) error {
	synced := make([]toolscache.InformerSynced, len(r.regs))
	for i, reg := range r.regs {
		synced[i] = reg.HasSynced
	}
	if !toolscache.WaitForCacheSync(ctx.Done(), synced...) {
		return nil // ctx is done
	}
	if err := r.limits.Resolve(ctx); err != nil {
		// wake-config's defaults hold meanwhile; Run tries again.
		r.limits.log.Error(err, "resolve tenant limits")
		r.limits.Changed()
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() { r.limits.Run(ctx) })
	return r.sc.Start(ctx)
}

// NeedLeaderElection is false: standbys sample too, and the scaler decides
// only once mgr.Elected() is closed.
func (scalerRunnable) NeedLeaderElection() bool { return false }

// statsRunnable runs the stat server on every replica, leader or not.
type statsRunnable struct {
	srv *statserver.Server
	ln  net.Listener
}

// Start serves until ctx is done.
func (r statsRunnable) Start(ctx context.Context) error {
	if r.ln != nil {
		return r.srv.Serve(ctx, r.ln)
	}
	return r.srv.Start(ctx)
}

// NeedLeaderElection is false: standbys collect stats too.
func (statsRunnable) NeedLeaderElection() bool { return false }
