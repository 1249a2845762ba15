// Command controller runs Wake's reconcilers (Function, Revision, Route,
// DomainGrant, TenantPolicy) and, on the leader, the autoscaler.
package main

import (
	"flag"
	"os"

	"github.com/go-logr/logr"
	"github.com/go-logr/zapr"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wakefn/wake/controllers"
	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/kube"
	"github.com/wakefn/wake/internal/scheme"
)

func main() {
	var (
		metricsAddr = flag.String("metrics-bind-address", ":9090", "address of the Prometheus metrics endpoint")
		probeAddr   = flag.String("health-probe-bind-address", ":8081", "address of /healthz and /readyz")
		leaderElect = flag.Bool("leader-elect", true, "elect a leader so that only one replica reconciles")
		namespace   = flag.String("system-namespace", envOr("SYSTEM_NAMESPACE", "wake-system"), "namespace of wake-config and the leader lease")
		development = flag.Bool("dev-logs", false, "human-readable logs instead of JSON")
		statsAddr   = flag.String("stats-bind-address", kube.DefaultStatsAddr, "address of the autoscaler's stat server, which activators push to")
		statsSA     = flag.String("stats-activator-service-account", kube.DefaultActivatorServiceAccount, "ServiceAccount, in --system-namespace, whose pod-bound tokens may report stats")
	)
	flag.Parse()

	log := newLogger(*development)
	ctrl.SetLogger(log)

	// The autoscaler's stat collector also tells TenantPolicy status each
	// namespace's requests in flight.
	stats := collector.New(0)
	opts := controllers.Options{SystemNamespace: *namespace, TenantUsage: collector.Usage{Collector: stats, Clock: clock.RealClock{}}}
	mgr, err := ctrl.NewManager(ctrl.GetConfigOrDie(), ctrl.Options{
		Scheme:                  scheme.New(),
		Metrics:                 metricsserver.Options{BindAddress: *metricsAddr},
		HealthProbeBindAddress:  *probeAddr,
		LeaderElection:          *leaderElect,
		LeaderElectionID:        "wake-controller",
		LeaderElectionNamespace: *namespace,
		// A leader stopped gracefully (rollout, drain) gives its lease up,
		// so the standby takes over within its retry period instead of
		// waiting for the lease to expire. Safe: the process exits as soon
		// as the manager returns.
		LeaderElectionReleaseOnCancel: true,
		Cache:                         controllers.CacheOptions(opts),
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

func newLogger(development bool) logr.Logger {
	cfg := zap.NewProductionConfig()
	if development {
		cfg = zap.NewDevelopmentConfig()
	}
	cfg.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	z, err := cfg.Build()
	if err != nil {
		panic(err)
	}
	return zapr.NewLogger(z)
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
