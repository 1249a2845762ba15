package functionusage

import "github.com/prometheus/client_golang/prometheus"

// DroppedMetric counts the window sums dropped before they were written.
const DroppedMetric = "wake_autoscaler_function_usage_dropped_total"

// NewDroppedCounter returns DroppedMetric, for Writer.Dropped.
func NewDroppedCounter() prometheus.Counter {
	return prometheus.NewCounter(prometheus.CounterOpts{
		Name: DroppedMetric,
		Help: "Per-window usage sums of a Function dropped before they were written to its status.usage: the oldest, over the 1440 a Function holds while its writes fail.",
	})
}
