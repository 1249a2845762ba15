package sink

import "github.com/prometheus/client_golang/prometheus"

// Names of the metrics, documented in the package comment.
const (
	// MetricExported counts the events a sink accepted, by sink.
	MetricExported = "wake_metering_records_exported_total"
	// MetricDropped counts the events lost, by sink and reason
	// (ReasonQueueFull, ReasonRefused).
	MetricDropped = "wake_metering_records_dropped_total"
	// MetricFailures counts the failed Send attempts, by sink; their
	// batches were retried.
	MetricFailures = "wake_metering_export_failures_total"
	// MetricQueued is the events waiting, by sink.
	MetricQueued = "wake_metering_records_queued"
)

// Names lists every metric this package registers.
var Names = []string{MetricExported, MetricDropped, MetricFailures, MetricQueued}

// Label names and the reasons of MetricDropped.
const (
	// LabelSink is a sink's Name.
	LabelSink = "sink"
	// LabelReason is why events were dropped.
	LabelReason = "reason"
	// ReasonQueueFull: the queue held MaxQueue events; the oldest went.
	ReasonQueueFull = "queue_full"
	// ReasonRefused: the sink refused the batch for good (Permanent).
	ReasonRefused = "refused"
)

// Metrics are the exporters' metrics, shared by every Exporter.
type Metrics struct {
	exported *prometheus.CounterVec
	dropped  *prometheus.CounterVec
	failures *prometheus.CounterVec
	queued   *prometheus.GaugeVec
}

// NewMetrics returns the metrics, registered with reg; a nil reg registers
// them nowhere. It panics if reg holds metrics of the same names.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		exported: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricExported, Help: "Metering records the sink accepted.",
		}, []string{LabelSink}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricDropped, Help: "Metering records lost: the queue was full, or the sink refused them for good.",
		}, []string{LabelSink, LabelReason}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: MetricFailures, Help: "Failed attempts to send a batch of metering records (retried).",
		}, []string{LabelSink}),
		queued: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: MetricQueued, Help: "Metering records waiting to be sent.",
		}, []string{LabelSink}),
	}
	if reg != nil {
		reg.MustRegister(m.exported, m.dropped, m.failures, m.queued)
	}
	return m
}

// sinkMetrics are one sink's series.
type sinkMetrics struct {
	exported, queueFull, refused, failures prometheus.Counter
	queued                                 prometheus.Gauge
}

// forSink returns name's series, all created at zero so that they are
// exported before anything happens.
func (m *Metrics) forSink(name string) sinkMetrics {
	return sinkMetrics{
		exported:  m.exported.WithLabelValues(name),
		queueFull: m.dropped.WithLabelValues(name, ReasonQueueFull),
		refused:   m.dropped.WithLabelValues(name, ReasonRefused),
		failures:  m.failures.WithLabelValues(name),
		queued:    m.queued.WithLabelValues(name),
	}
}
