package config

import "time"

// Defaults of wake-config, what a key means when it is absent: Knative's
// for the autoscaler, and the activator's own. They are written here only;
// the shipped ConfigMap and the README document them, and the packages
// that need one when nothing is configured (the decider's Defaults, the
// throttler and the activator's server for their zero options) read it
// from here.
const (
	// DefaultDomain is the default domain.
	DefaultDomain = "example.com"
	// DefaultInitialScale is the default initial-scale: the scale of a
	// revision woken from zero.
	DefaultInitialScale = 1
	// DefaultContainerConcurrencyTarget is the default
	// container-concurrency-target-default: the per-pod concurrency that
	// the target utilisation applies to when containerConcurrency is 0
	// (unlimited) and no target is set.
	DefaultContainerConcurrencyTarget = 100.0
	// DefaultTargetUtilizationPercentage is the default
	// target-utilization-percentage: the share of containerConcurrency the
	// autoscaler aims for.
	DefaultTargetUtilizationPercentage = 70.0
	// DefaultStableWindow is the default stable-window: the length of the
	// stable averaging window.
	DefaultStableWindow = 60 * time.Second
	// DefaultPanicWindowPercentage is the default panic-window-percentage:
	// the panic window as a share of the stable window.
	DefaultPanicWindowPercentage = 10.0
	// DefaultPanicThresholdPercentage is the default
	// panic-threshold-percentage: the panic-window demand, as a share of the
	// ready capacity, that starts panic mode.
	DefaultPanicThresholdPercentage = 200.0
	// DefaultScaleToZeroGracePeriod is the default
	// scale-to-zero-grace-period: how long the stable average must have
	// been zero before scaling to zero.
	DefaultScaleToZeroGracePeriod = 30 * time.Second
	// DefaultMaxScaleUpRate is the default max-scale-up-rate: one decision
	// is at most this many times the ready pods.
	DefaultMaxScaleUpRate = 1000.0
	// DefaultMaxScaleDownRate is the default max-scale-down-rate: one
	// decision is at least the current scale divided by this.
	DefaultMaxScaleDownRate = 2.0

	// DefaultQueueDepth is the default activator-queue-depth: the requests
	// one revision may hold waiting for capacity (Knative's activator uses
	// the same value).
	DefaultQueueDepth = 10000
	// DefaultProbePeriod is the default activator-probe-period: how often a
	// not-ready pod is probed.
	DefaultProbePeriod = 25 * time.Millisecond
	// DefaultDrainTimeout is the default activator-drain-timeout.
	DefaultDrainTimeout = 30 * time.Second
	// DefaultMaxConnections is the default activator-max-connections, sized
	// for an activator with 1 GiB of memory.
	DefaultMaxConnections = 10000
	// DefaultMaxHeldRequests is the default activator-max-held-requests:
	// the requests that may wait in all revisions' queues together, sized
	// for an activator with 1 GiB of memory.
	DefaultMaxHeldRequests = 10000
)

// Default returns the configuration used for every key wake-config lacks.
func Default() *Config {
	return &Config{
		Domain: DefaultDomain,
		Autoscaler: Autoscaler{
			InitialScale:                      DefaultInitialScale,
			ContainerConcurrencyTargetDefault: DefaultContainerConcurrencyTarget,
			TargetUtilizationPercentage:       DefaultTargetUtilizationPercentage,
			StableWindow:                      DefaultStableWindow,
			PanicWindowPercentage:             DefaultPanicWindowPercentage,
			PanicThresholdPercentage:          DefaultPanicThresholdPercentage,
			ScaleToZeroGracePeriod:            DefaultScaleToZeroGracePeriod,
			MaxScaleUpRate:                    DefaultMaxScaleUpRate,
			MaxScaleDownRate:                  DefaultMaxScaleDownRate,
		},
		Activator: Activator{
			QueueDepth:      DefaultQueueDepth,
			ProbePeriod:     DefaultProbePeriod,
			DrainTimeout:    DefaultDrainTimeout,
			MaxConnections:  DefaultMaxConnections,
			MaxHeldRequests: DefaultMaxHeldRequests,
		},
	}
}
