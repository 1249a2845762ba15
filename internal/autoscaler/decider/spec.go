package decider

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/wakefn/wake/internal/config/defaults"
)

// MaxStableWindow bounds Spec.StableWindow; the window's memory grows with it.
const MaxStableWindow = time.Hour

// Bucket is the width of one averaging bucket.
const Bucket = time.Second

// Spec holds the scaling settings of one revision. The zero value is not
// valid: start from Defaults and override what the revision sets.
type Spec struct {
	// MinScale is the lowest number of replicas.
	MinScale int32
	// MaxScale is the highest number of replicas; 0 means no maximum.
	MaxScale int32
	// InitialScale is the lowest number of replicas of a revision woken from
	// zero, until that many are ready. Values below 1 mean 1.
	InitialScale int32
	// ContainerConcurrency is the hard limit of requests per pod; 0 means
	// unlimited.
	ContainerConcurrency int64
	// Target is the concurrency per pod to aim for; 0 derives it from
	// ContainerConcurrency and TargetUtilizationPercentage. A Target above a
	// non-zero ContainerConcurrency is lowered to it.
	Target float64
	// TargetUtilizationPercentage is the share of ContainerConcurrency (or
	// of defaults.ContainerConcurrencyTarget) to aim for when Target is 0.
	TargetUtilizationPercentage float64
	// StableWindow is the length of the stable averaging window.
	StableWindow time.Duration
	// PanicWindowPercentage is the panic window as a share of StableWindow.
	PanicWindowPercentage float64
	// PanicThresholdPercentage is the panic-window demand, as a share of the
	// ready capacity, that starts panic mode.
	PanicThresholdPercentage float64
	// ScaleToZeroGracePeriod is how long the stable average must have been
	// zero before the revision is scaled to zero.
	ScaleToZeroGracePeriod time.Duration
	// ScaleDownDelay makes each decision the maximum of the decisions over
	// this window; 0 disables it.
	ScaleDownDelay time.Duration
	// MaxScaleUpRate bounds one decision to this many times the ready pods.
	MaxScaleUpRate float64
	// MaxScaleDownRate bounds one decision to the current scale divided by
	// this.
	MaxScaleDownRate float64
}

// Defaults returns a Spec with wake-config's defaults (Knative's cluster
// defaults, owned by package config): target utilisation 70%, stable
// window 60 s, panic window 10%, panic threshold 200%, scale-to-zero grace
// 30 s, scale-up rate 1000, scale-down rate 2, initial scale 1, no bounds
// and no scale-down delay.
func Defaults() Spec {
	return Spec{
		InitialScale:                defaults.InitialScale,
		TargetUtilizationPercentage: defaults.TargetUtilizationPercentage,
		StableWindow:                defaults.StableWindow,
		PanicWindowPercentage:       defaults.PanicWindowPercentage,
		PanicThresholdPercentage:    defaults.PanicThresholdPercentage,
		ScaleToZeroGracePeriod:      defaults.ScaleToZeroGracePeriod,
		MaxScaleUpRate:              defaults.MaxScaleUpRate,
		MaxScaleDownRate:            defaults.MaxScaleDownRate,
	}
}

// Validate reports the first setting that the algorithm cannot work with.
func (s Spec) Validate() error {
	finite := func(f float64) bool { return !math.IsNaN(f) && !math.IsInf(f, 0) }
	var errs []error
	check := func(ok bool, format string, args ...any) {
		if !ok {
			errs = append(errs, fmt.Errorf(format, args...))
		}
	}
	check(s.MinScale >= 0, "minScale %d is negative", s.MinScale)
	check(s.MaxScale >= 0, "maxScale %d is negative", s.MaxScale)
	check(s.MaxScale == 0 || s.MinScale <= s.MaxScale, "minScale %d is above maxScale %d", s.MinScale, s.MaxScale)
	check(s.InitialScale >= 0, "initialScale %d is negative", s.InitialScale)
	check(s.ContainerConcurrency >= 0, "containerConcurrency %d is negative", s.ContainerConcurrency)
	check(finite(s.Target) && s.Target >= 0, "target %v is not a non-negative number", s.Target)
	check(finite(s.TargetUtilizationPercentage) && s.TargetUtilizationPercentage > 0 && s.TargetUtilizationPercentage <= 100,
		"targetUtilizationPercentage %v is not in (0, 100]", s.TargetUtilizationPercentage)
	check(s.StableWindow >= Bucket && s.StableWindow <= MaxStableWindow,
		"stableWindow %v is not in [%v, %v]", s.StableWindow, Bucket, MaxStableWindow)
	check(finite(s.PanicWindowPercentage) && s.PanicWindowPercentage > 0 && s.PanicWindowPercentage <= 100,
		"panicWindowPercentage %v is not in (0, 100]", s.PanicWindowPercentage)
	check(finite(s.PanicThresholdPercentage) && s.PanicThresholdPercentage > 0,
		"panicThresholdPercentage %v is not positive", s.PanicThresholdPercentage)
	check(s.ScaleToZeroGracePeriod >= 0, "scaleToZeroGracePeriod %v is negative", s.ScaleToZeroGracePeriod)
	check(s.ScaleDownDelay >= 0, "scaleDownDelay %v is negative", s.ScaleDownDelay)
	check(finite(s.MaxScaleUpRate) && s.MaxScaleUpRate > 1, "maxScaleUpRate %v is not above 1", s.MaxScaleUpRate)
	check(finite(s.MaxScaleDownRate) && s.MaxScaleDownRate > 1, "maxScaleDownRate %v is not above 1", s.MaxScaleDownRate)
	return errors.Join(errs...)
}

// TargetPerPod is the concurrency per pod that the decider aims for.
func (s Spec) TargetPerPod() float64 {
	if s.Target > 0 {
		if s.ContainerConcurrency > 0 && s.Target > float64(s.ContainerConcurrency) {
			return float64(s.ContainerConcurrency)
		}
		return s.Target
	}
	total := defaults.ContainerConcurrencyTarget
	if s.ContainerConcurrency > 0 {
		total = float64(s.ContainerConcurrency)
	}
	// Multiply before dividing so that 10 × 70 / 100 is exactly 7.
	return total * s.TargetUtilizationPercentage / 100
}

// stableBuckets is the number of 1 s buckets in the stable window.
func (s Spec) stableBuckets() int {
	return int(math.Ceil(round6(float64(s.StableWindow) / float64(Bucket))))
}

// panicBuckets is the number of 1 s buckets in the panic window, at least 1.
func (s Spec) panicBuckets() int {
	n := int(math.Ceil(round6(float64(s.StableWindow) * s.PanicWindowPercentage / 100 / float64(Bucket))))
	return min(max(n, 1), s.stableBuckets())
}

// round6 rounds f to six decimals, so that float noise such as
// 10.000000000000002 does not push a math.Ceil up by one.
func round6(f float64) float64 {
	if math.IsInf(f, 0) || math.Abs(f) > 1e12 {
		return f
	}
	return math.Round(f*1e6) / 1e6
}
