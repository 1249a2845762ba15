// Command controller runs Wake's reconcilers (Function, Revision, Route,
// DomainGrant, TenantPolicy) and, on the leader, the autoscaler.
package main

import (
	"flag"
	"os"

	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wakefn/wake/controllers"
	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/kube"
	"github.com/wakefn/wake/internal/cmdutil"
	"github.com/wakefn/wake/internal/scheme"
)

func main() {
	var (
		metricsAddr = flag.String("metrics-bind-address", ":9090", "address of the Prometheus metrics endpoint")
		probeAddr   = flag.String("health-probe-bind-address", ":8081", "address of /healthz and /readyz")
		leaderElect = flag.Bool("leader-elect", true, "elect a leader so that only one replica reconciles")
		namespace   = flag.String("system-namespace", cmdutil.EnvOr("SYSTEM_NAMESPACE", "wake-system"), "namespace of wake-config and the leader lease")
		development = flag.Bool("dev-logs", false, "human-readable logs instead of JSON")
		statsAddr   = flag.String("stats-bind-address", kube.DefaultStatsAddr, "address of the autoscaler's stat server, which activators push to")
		statsSA     = flag.String("stats-activator-service-account", kube.DefaultActivatorServiceAccount, "ServiceAccount, in --system-namespace, whose pod-bound tokens may report stats")
		apiQPS      = flag.Float64("kube-api-qps", defaultAPIQPS, "steady rate of requests to the API server, per client: the reconcilers share one client, the autoscaler's scale writes have their own")
		apiBurst    = flag.Int("kube-api-burst", defaultAPIBurst, "requests to the API server a client may send at once above --kube-api-qps")
		workers     = flag.Int("concurrent-reconciles", defaultWorkers, "objects of one kind reconciled at once (never the same object twice)")
	)
	flag.Parse()

	log := cmdutil.NewLogger(*development)
	ctrl.SetLogger(log)
	cmdutil.SetMemoryLimit(log)

	// The autoscaler's stat collector also tells TenantPolicy status each
	// namespace's requests in flight.
	stats := collector.New(0)
	opts := controllers.Options{SystemNamespace: *namespace, TenantUsage: collector.Usage{Collector: stats, Clock: clock.RealClock{}}}
	cfg := ctrl.GetConfigOrDie()
	cfg.QPS, cfg.Burst = float32(*apiQPS), *apiBurst
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:  *probeAddr,
		LeaderElection:          *leaderElect,
		LeaderElectionID:        "wake-controller",
		LeaderElectionNamespace: *namespace,
		// A replica that stops (an upgrade, a drain) hands the lease over
		// at once instead of leaving it to run out; main exits right after.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(opts),
		Controller:                    ctrlconfig.Controller{MaxConcurrentReconciles: *workers},
	})
	if err != nil {
		log.Error(err, "create manager")
		os.Exit(1)
	}
	store, err := controllers.Setup(mgr, opts)
	if err != nil {
		log.Error(err, "set up controllers")
		os.Exit(1)
	}
	if err := kube.Setup(mgr, store, kube.Options{
		StatsAddr: *statsAddr, SystemNamespace: *namespace, ActivatorServiceAccount: *statsSA, Stats: stats,
	}); err != nil {
		log.Error(err, "set up autoscaler")
		os.Exit(1)
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		log.Error(err, "add health check")
		os.Exit(1)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		log.Error(err, "add ready check")
		os.Exit(1)
	}
	log.Info("starting wake-controller")
	if err := mgr.Start(ctrl.SetupSignalHandler()); err != nil {
		log.Error(err, "manager stopped")
		os.Exit(1)
	}
}

// Defaults of --kube-api-qps and --kube-api-burst. client-go's own, 5 and
// 10 (controller-runtime raises them to 20 and 30), cap how fast a burst of
// new Functions becomes Ready, since each takes several writes (Revision,
// Deployment, Service, Route and their status): at 20 a second about 130
// Functions a minute became Ready. The API server's priority and fairness
// still protects it from a controller that asks for too much.
const (
	defaultAPIQPS   = 200
	defaultAPIBurst = 400
)

// defaultWorkers is the default of --concurrent-reconciles.
// controller-runtime's one worker per kind waits out each reconcile's API
// round trips one after another: about 25 reconciles a second here, and
// with 10,000 Functions applied at once a reconcile took 0.4 s (its
// create and status write on a busy API server), so 4 workers made 10 a
// second per kind. The client's rate limit and the API server's priority
// and fairness still bound what they ask for.
const defaultWorkers = 16
