// Package app runs the Kafka dispatcher: a controller-runtime manager whose
// controllers (package kube) keep one consumer per KafkaTrigger (package
// consumers), and a stats reporter that tells the autoscaler each trigger's
// backlog. cmd/dispatcher only parses flags and calls Run.
package app

import (
	"context"
	"fmt"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/healthz"
	"sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/dispatcher/consumers"
	"github.com/wakefn/wake/internal/dispatcher/kube"
	"github.com/wakefn/wake/internal/scheme"
)

// Options configures Run.
type Options struct {
	// Kube reaches the API server.
	Kube *rest.Config
	// MetricsAddr serves /metrics; ProbeAddr /healthz and /readyz.
	MetricsAddr, ProbeAddr string
	// LeaderElect elects the replica that writes triggers' status; every
	// replica consumes.
	LeaderElect bool
	// SystemNamespace holds the leader lease.
	SystemNamespace string
	// PodName is this replica's name, its stats frames' source.
	PodName string
	// AutoscalerAddress is the autoscaler's stat server, host:port.
	AutoscalerAddress string
	// StatsTokenFile is the projected ServiceAccount token presented to the
	// stat server.
	StatsTokenFile string
	// Dispatch are the controllers' settings.
	Dispatch kube.Options
	// Log is the logger.
	Log logr.Logger
}

// Run runs the dispatcher until ctx ends, then stops the consumers, each
// committing what it delivered.
func Run(ctx context.Context, o Options) error {
	mgr, err := ctrl.NewManager(o.Kube, ctrl.Options{
		Scheme:                        scheme.New(),
		Metrics:                       metricsserver.Options{BindAddress: o.MetricsAddr},
		HealthProbeBindAddress:        o.ProbeAddr,
		LeaderElection:                o.LeaderElect,
		LeaderElectionID:              "wake-dispatcher",
		LeaderElectionNamespace:       o.SystemNamespace,
		LeaderElectionReleaseOnCancel: true,
	})
	if err != nil {
		return fmt.Errorf("create manager: %w", err)
	}
	// The consumers poke the reporter, which asks them for their demand;
	// neither runs before both exist.
	var reporter *stats.Reporter
	consumerCtx, stopConsumers := context.WithCancel(context.WithoutCancel(ctx))
	defer stopConsumers()
	reg := consumers.New(consumerCtx, o.Log.WithName("consumers"), func(rev types.NamespacedName) { reporter.Poke(rev) })
	reporter = stats.New(stats.Options{
		Source: o.PodName, Address: o.AutoscalerAddress, TokenFile: o.StatsTokenFile, Logger: o.Log.WithName("stats"),
		Demand: reg.Demand,
	})
	if err := metrics.Registry.Register(consumers.NewCollector(reg)); err != nil {
		return fmt.Errorf("register metrics: %w", err)
	}
	o.Dispatch.Log = o.Log.WithName("consumer")
	if err := kube.Setup(mgr, reg, o.Dispatch); err != nil {
		return err
	}
	if err := mgr.AddHealthzCheck("healthz", healthz.Ping); err != nil {
		return fmt.Errorf("add health check: %w", err)
	}
	if err := mgr.AddReadyzCheck("readyz", healthz.Ping); err != nil {
		return fmt.Errorf("add ready check: %w", err)
	}
	statsCtx, stopStats := context.WithCancel(context.WithoutCancel(ctx))
	defer stopStats()
	go reporter.Run(statsCtx)

	o.Log.Info("starting wake-dispatcher", "activator", o.Dispatch.ActivatorURL)
	err = mgr.Start(ctx)
	// The manager has stopped its controllers: stop the consumers, which
	// commit what they delivered and leave their groups, then the stats.
	stopConsumers()
	reg.Wait()
	stopStats()
	return err
}
