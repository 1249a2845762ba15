package scaler

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// metrics are the scaler's Prometheus collectors.
type metrics struct {
	desired     *prometheus.GaugeVec
	panicMode   *prometheus.GaugeVec
	stable      *prometheus.GaugeVec
	panicConc   *prometheus.GaugeVec
	revisions   prometheus.Gauge
	capped      *prometheus.GaugeVec
	writes      prometheus.Counter
	writeErrors prometheus.Counter
	rsWakes     *prometheus.CounterVec
	tick        prometheus.Histogram
	wake        prometheus.Histogram
}

// gauges are one revision's children of the per-revision vectors, looked up
// once so that a tick does not hash labels.
type gauges struct {
	desired, panicMode, stable, panicConc prometheus.Gauge
}

var revLabels = []string{"namespace", "revision"}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		desired: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wake_autoscaler_desired_replicas",
			Help: "Replicas the autoscaler decided for a revision.",
		}, revLabels),
		panicMode: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wake_autoscaler_panic_mode",
			Help: "1 while a revision's autoscaler is in panic mode.",
		}, revLabels),
		stable: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wake_autoscaler_stable_concurrency",
			Help: "Average concurrency over a revision's stable window.",
		}, revLabels),
		panicConc: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wake_autoscaler_panic_concurrency",
			Help: "Average concurrency over a revision's panic window.",
		}, revLabels),
		capped: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "wake_autoscaler_tenant_capped_revisions",
			Help: "Revisions of a namespace given fewer replicas than they want by the namespace's tenant pod limits (maxPods, maxScaleUpPerMinute).",
		}, []string{"namespace"}),
		revisions: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wake_autoscaler_revisions",
			Help: "Revisions tracked by the autoscaler.",
		}),
		writes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wake_autoscaler_scale_writes_total",
			Help: "Writes of a Deployment's scale subresource.",
		}),
		writeErrors: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wake_autoscaler_scale_write_errors_total",
			Help: "Failed writes of a Deployment's scale subresource.",
		}),
		rsWakes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wake_autoscaler_replicaset_wakes_total",
			Help: "Wakes from zero by result: scaled (the revision's ReplicaSet scaled at once too), skipped (left to the Deployment's controller) or failed.",
		}, []string{"result"}),
		tick: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "wake_autoscaler_tick_seconds",
			Help:    "Time to decide for all revisions in one tick, writes excluded.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 14),
		}),
	}
	m.wake = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "wake_autoscaler_wake_seconds",
		Help:    "Time from the first poke for a revision at zero to its Deployment's scale written: the wait for a writer, then the write.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2, 12),
	})
	for _, result := range []string{"scaled", "skipped", "failed"} {
		m.rsWakes.WithLabelValues(result) // every result shows, from 0
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.desired, m.panicMode, m.stable, m.panicConc, m.capped, m.revisions, m.writes, m.writeErrors, m.rsWakes, m.tick, m.wake} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register scaler metrics: %w", err)
		}
	}
	return m, nil
}

func (m *metrics) forRevision(rev types.NamespacedName) gauges {
	return gauges{
		desired:   m.desired.WithLabelValues(rev.Namespace, rev.Name),
		panicMode: m.panicMode.WithLabelValues(rev.Namespace, rev.Name),
		stable:    m.stable.WithLabelValues(rev.Namespace, rev.Name),
		panicConc: m.panicConc.WithLabelValues(rev.Namespace, rev.Name),
	}
}

func (m *metrics) forget(rev types.NamespacedName) {
	for _, v := range []*prometheus.GaugeVec{m.desired, m.panicMode, m.stable, m.panicConc} {
		v.DeleteLabelValues(rev.Namespace, rev.Name)
	}
}

func (g gauges) observe(d decider.Decision) {
	g.desired.Set(float64(d.DesiredReplicas))
	p := 0.0
	if d.Panic {
		p = 1
	}
	g.panicMode.Set(p)
	g.stable.Set(d.StableConcurrency)
	g.panicConc.Set(d.PanicConcurrency)
}
