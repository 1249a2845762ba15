// Package metering turns what the activators measure into billable use:
// durations rounded up to 100 ms units, weighted by a container's memory
// and CPU into GB-seconds and vCPU-seconds.
package metering

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// Unit is the billing unit.
const Unit = 100 * time.Millisecond

// Units returns d rounded up to whole Units: any time at all is at least
// one unit, and what is billed is never less than d nor a unit more. A
// duration of zero or less is none.
func Units(d time.Duration) int64 {
	if d <= 0 {
		return 0
	}
	return int64((d + Unit - 1) / Unit)
}

// Weights are what one second of a container's time counts as.
type Weights struct {
	// GB is its memory in gigabytes (10^9 bytes).
	GB float64
	// VCPU is its CPU in cores.
	VCPU float64
}

// WeightsOf returns a container's weights: its limit of each resource,
// else its request, else def's.
func WeightsOf(r corev1.ResourceRequirements, def Weights) Weights {
	w := def
	if q, ok := quantity(r, corev1.ResourceMemory); ok {
		w.GB = float64(q.Value()) / 1e9
	}
	if q, ok := quantity(r, corev1.ResourceCPU); ok {
		w.VCPU = float64(q.MilliValue()) / 1000
	}
	return w
}

// quantity returns the limit of name, else its request.
func quantity(r corev1.ResourceRequirements, name corev1.ResourceName) (resource.Quantity, bool) {
	if q, ok := r.Limits[name]; ok && !q.IsZero() {
		return q, true
	}
	if q, ok := r.Requests[name]; ok && !q.IsZero() {
		return q, true
	}
	return resource.Quantity{}, false
}

// Seconds returns the GB-seconds and vCPU-seconds that units of a container
// with weights w count as.
func (w Weights) Seconds(units int64) (gbSeconds, vcpuSeconds float64) {
	perSecond := float64(time.Second / Unit)
	return float64(units) * w.GB / perSecond, float64(units) * w.VCPU / perSecond
}
