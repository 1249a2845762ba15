package meterrecords

import "github.com/prometheus/client_golang/prometheus"

// DroppedMetric counts the metering entries dropped, by reason.
const DroppedMetric = "wake_autoscaler_metering_entries_dropped_total"

// NewDroppedCounter returns DroppedMetric, for Options.OnDrop.
func NewDroppedCounter() *prometheus.CounterVec {
	return prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: DroppedMetric,
		Help: "Metering entries from the activators that were dropped, by reason: invalid, late (the window was final), incomplete (the window ended before this replica had every activator's counts), overflow.",
	}, []string{"reason"})
}
