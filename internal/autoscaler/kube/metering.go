package kube

import (
	"context"
	"fmt"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/functionusage"
	"github.com/wakefn/wake/internal/autoscaler/meterrecords"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/metering/sink"
)

// newMeterAggregator returns the aggregator of the activators' metering:
// it weighs each revision by its container (from reader, the cache) and
// wake-config's defaults, and counts what it drops in a metric on reg.
func newMeterAggregator(reader client.Reader, store *config.Store, clk clock.PassiveClock, reg prometheus.Registerer) (*meterrecords.Aggregator, error) {
	dropped := meterrecords.NewDroppedCounter()
	if err := reg.Register(dropped); err != nil {
		return nil, err
	}
	return meterrecords.New(meterrecords.Options{
		Started: clk.Now(),
		Weights: func(rev types.NamespacedName) metering.Weights {
			return revisionWeights(reader, store.Load().Metering, rev)
		},
		ColdStartBillable: func() bool { return store.Load().Metering.ColdStartBillable },
		OnDrop:            func(reason string, n int) { dropped.WithLabelValues(reason).Add(float64(n)) },
	}), nil
}

// revisionWeights returns what a second of rev's container weighs: its
// resources, else m's defaults (also for a Revision already gone).
func revisionWeights(reader client.Reader, m config.Metering, rev types.NamespacedName) metering.Weights {
	def := metering.Weights{GB: float64(m.DefaultMemoryBytes) / 1e9, VCPU: float64(m.DefaultMilliCPU) / 1000}
	var r servingv1alpha1.Revision
	if err := reader.Get(context.Background(), rev, &r); err != nil || len(r.Spec.Containers) == 0 {
		return def
	}
	res := r.Spec.Containers[0].Resources
	return metering.WeightsOf(corev1.ResourceRequirements{Limits: res.Limits, Requests: res.Requests}, def)
}

// addMetering adds meter's runnables to mgr: on every replica the ticker
// that finalizes its windows; on the leader the exporter to the sinks
// wake-config names (their Secret read in namespace) and the writer of the
// Functions' status.usage, whose dropped sums are counted on reg.
func addMetering(mgr ctrl.Manager, meter *meterrecords.Aggregator, store *config.Store, namespace string, clk clock.WithTicker, reg prometheus.Registerer, log logr.Logger) error {
	if err := mgr.Add(meterTicker{agg: meter, clk: clk}); err != nil {
		return fmt.Errorf("add metering: %w", err)
	}
	if err := mgr.Add(&meterExporter{agg: meter, store: store, reader: mgr.GetAPIReader(), namespace: namespace,
		clk: clk, metrics: sink.NewMetrics(reg), log: log.WithName("metering")}); err != nil {
		return fmt.Errorf("add metering export: %w", err)
	}
	dropped := functionusage.NewDroppedCounter()
	if err := reg.Register(dropped); err != nil {
		return err
	}
	if err := mgr.Add(&functionusage.Writer{Client: mgr.GetClient(), Records: meter, Clock: clk, Dropped: dropped, Log: log.WithName("function-usage")}); err != nil {
		return fmt.Errorf("add function usage writer: %w", err)
	}
	return nil
}

// meterTicker finalizes the aggregator's windows every second, on every
// replica (a standby keeps the records a new leader exports again).
type meterTicker struct {
	agg *meterrecords.Aggregator
	clk clock.WithTicker
}

// Start ticks until ctx ends.
func (t meterTicker) Start(ctx context.Context) error {
	tick := t.clk.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-tick.C():
			t.agg.Tick(now)
		}
	}
}

// NeedLeaderElection is false: every replica finalizes.
func (meterTicker) NeedLeaderElection() bool { return false }
