package consumers

import (
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/dispatcher/delivery"
)

// triggerLabels name a trigger.
var triggerLabels = []string{"namespace", "trigger"}

// Metric descriptions. Counters count since the trigger's consumer started
// on this replica (a changed trigger restarts it, which Prometheus reads
// as a reset).
var (
	consumersDesc = prometheus.NewDesc("wake_dispatcher_consumers",
		"KafkaTrigger consumers running on this replica.", nil, nil)
	deliveredDesc = prometheus.NewDesc("wake_dispatcher_messages_delivered_total",
		"Messages a Function answered with a 2xx, per trigger.", triggerLabels, nil)
	failedDesc = prometheus.NewDesc("wake_dispatcher_delivery_failures_total",
		"Delivery attempts that failed (connection error, timeout, 408, 429, 5xx or another 4xx), per trigger.", triggerLabels, nil)
	deadDesc = prometheus.NewDesc("wake_dispatcher_messages_dead_lettered_total",
		"Messages produced to the dead-letter topic, per trigger.", triggerLabels, nil)
	repliedDesc = prometheus.NewDesc("wake_dispatcher_replies_total",
		"Responses produced to the reply topic, per trigger.", triggerLabels, nil)
	lagDesc = prometheus.NewDesc("wake_dispatcher_lag_messages",
		"Messages not yet delivered in the partitions this replica consumes, per trigger.", triggerLabels, nil)
	inFlightDesc = prometheus.NewDesc("wake_dispatcher_in_flight_messages",
		"Messages being delivered, per trigger.", triggerLabels, nil)
)

// Collector exposes the consumers' state as Prometheus metrics, read when
// scraped.
type Collector struct{ reg *Registry }

// NewCollector returns a Collector of reg's consumers.
func NewCollector(reg *Registry) *Collector { return &Collector{reg: reg} }

// Describe sends the metrics' descriptions.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{consumersDesc, deliveredDesc, failedDesc, deadDesc, repliedDesc, lagDesc, inFlightDesc} {
		ch <- d
	}
}

// Collect sends the metrics.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	n := 0
	c.reg.each(func(key types.NamespacedName, st delivery.Status) {
		n++
		l := []string{key.Namespace, key.Name}
		ch <- prometheus.MustNewConstMetric(deliveredDesc, prometheus.CounterValue, float64(st.Delivered), l...)
		ch <- prometheus.MustNewConstMetric(failedDesc, prometheus.CounterValue, float64(st.Failed), l...)
		ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.CounterValue, float64(st.DeadLettered), l...)
		ch <- prometheus.MustNewConstMetric(repliedDesc, prometheus.CounterValue, float64(st.Replied), l...)
		ch <- prometheus.MustNewConstMetric(lagDesc, prometheus.GaugeValue, float64(st.Backlog), l...)
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(st.InFlight), l...)
	})
	ch <- prometheus.MustNewConstMetric(consumersDesc, prometheus.GaugeValue, float64(n))
}

// each calls fn with every running consumer's state.
func (r *Registry) each(fn func(types.NamespacedName, delivery.Status)) {
	r.mu.Lock()
	runs := make(map[types.NamespacedName]*run, len(r.running))
	for k, ru := range r.running {
		runs[k] = ru
	}
	r.mu.Unlock()
	for k, ru := range runs {
		fn(k, ru.consumer.Status())
	}
}
