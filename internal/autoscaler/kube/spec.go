package kube

import (
	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/config"
)

// DeciderSpec returns the scaling settings of rev: its spec.scaling fields
// and containerConcurrency, with the cluster default from cfg for every
// scaling field it leaves unset. The per-pod target is scaling.target if
// set, else containerConcurrency × targetUtilizationPercentage, else (for
// unlimited concurrency) cfg.ContainerConcurrencyTargetDefault ×
// targetUtilizationPercentage. When a revision's own minScale or maxScale
// contradicts the other's cluster default, the revision's value wins and
// the default gives way to it. It is pure: no client, no clock.
func DeciderSpec(rev *servingv1alpha1.Revision, cfg config.Autoscaler) decider.Spec {
	sc := rev.Spec.Scaling
	if sc == nil {
		sc = &servingv1alpha1.Scaling{}
	}
	s := decider.Spec{
		MinScale:                    orInt32(sc.MinScale, cfg.MinScale),
		MaxScale:                    orInt32(sc.MaxScale, cfg.MaxScale),
		InitialScale:                orInt32(sc.InitialScale, cfg.InitialScale),
		ContainerConcurrency:        int64(rev.Spec.ContainerConcurrency),
		TargetUtilizationPercentage: orFloat(sc.TargetUtilizationPercentage, cfg.TargetUtilizationPercentage),
		StableWindow:                orDuration(sc.StableWindow, cfg.StableWindow),
		PanicWindowPercentage:       orFloat(sc.PanicWindowPercentage, cfg.PanicWindowPercentage),
		PanicThresholdPercentage:    orFloat(sc.PanicThresholdPercentage, cfg.PanicThresholdPercentage),
		ScaleToZeroGracePeriod:      orDuration(sc.ScaleToZeroGracePeriod, cfg.ScaleToZeroGracePeriod),
		ScaleDownDelay:              orDuration(sc.ScaleDownDelay, cfg.ScaleDownDelay),
		MaxScaleUpRate:              cfg.MaxScaleUpRate,
		MaxScaleDownRate:            cfg.MaxScaleDownRate,
	}
	if s.MaxScale > 0 && s.MinScale > s.MaxScale {
		if sc.MinScale != nil && sc.MaxScale == nil {
			s.MaxScale = s.MinScale
		} else {
			s.MinScale = s.MaxScale
		}
	}
	s.Target = target(sc.Target, s.ContainerConcurrency, s.TargetUtilizationPercentage, cfg.ContainerConcurrencyTargetDefault)
	return s
}

// target is the per-pod concurrency to aim for. The decider lowers a
// target above a non-zero containerConcurrency to it.
func target(set *int32, cc int64, utilization, unlimitedDefault float64) float64 {
	switch {
	case set != nil:
		return float64(*set)
	case cc > 0:
		// Multiply before dividing so that 10 × 70 / 100 is exactly 7.
		return float64(cc) * utilization / 100
	default:
		return unlimitedDefault * utilization / 100
	}
}
