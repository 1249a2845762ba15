// Package defaults holds wake-config's defaults, what each key means when
// wake-config lacks it: Knative's for the autoscaler, and the activator's
// own. Each is written here only. Package config's Default is built from
// them (the shipped ConfigMap and the README document them, and config's
// TestDefaults pins them), and the packages that need one when nothing is
// configured read it from here: the decider's Defaults, and the throttler
// and the activator's server for their zero options.
//
// It imports nothing but the standard library, so that those data-plane
// packages can read a default without linking the API machinery that
// package config's watcher needs.
package defaults

import "time"

// Defaults of wake-config's keys.
const (
	// Domain is the default domain: the suffix of Function hosts.
	Domain = "example.com"
	// DomainPolicy is the default domain-policy: "claims", a Route may use
	// a custom host only where a DomainGrant gives it to its namespace.
	DomainPolicy = "claims"
	// InitialScale is the default initial-scale: the scale of a
	// revision woken from zero.
	InitialScale = 1
	// ContainerConcurrencyTarget is the default
	// container-concurrency-target-default: the per-pod concurrency that
	// the target utilisation applies to when containerConcurrency is 0
	// (unlimited) and no target is set.
	ContainerConcurrencyTarget = 100.0
	// TargetUtilizationPercentage is the default
	// target-utilization-percentage: the share of containerConcurrency the
	// autoscaler aims for.
	TargetUtilizationPercentage = 70.0
	// StableWindow is the default stable-window: the length of the
	// stable averaging window.
	StableWindow = 60 * time.Second
	// PanicWindowPercentage is the default panic-window-percentage:
	// the panic window as a share of the stable window.
	PanicWindowPercentage = 10.0
	// PanicThresholdPercentage is the default
	// panic-threshold-percentage: the panic-window demand, as a share of the
	// ready capacity, that starts panic mode.
	PanicThresholdPercentage = 200.0
	// ScaleToZeroGracePeriod is the default
	// scale-to-zero-grace-period: how long the stable average must have
	// been zero before scaling to zero.
	ScaleToZeroGracePeriod = 30 * time.Second
	// MaxScaleUpRate is the default max-scale-up-rate: one decision
	// is at most this many times the ready pods.
	MaxScaleUpRate = 1000.0
	// MaxScaleDownRate is the default max-scale-down-rate: one
	// decision is at least the current scale divided by this.
	MaxScaleDownRate = 2.0

	// QueueDepth is the default activator-queue-depth: the requests
	// one revision may hold waiting for capacity (Knative's activator uses
	// the same value).
	QueueDepth = 10000
	// ProbePeriod is the default activator-probe-period: how often a
	// not-ready pod is probed.
	ProbePeriod = 25 * time.Millisecond
	// DrainTimeout is the default activator-drain-timeout.
	DrainTimeout = 30 * time.Second
	// MaxConnections is the default activator-max-connections, sized
	// for an activator with 1 GiB of memory.
	MaxConnections = 10000
	// MaxHeldRequests is the default activator-max-held-requests:
	// the requests that may wait in all revisions' queues together, sized
	// for an activator with 1 GiB of memory.
	MaxHeldRequests = 10000
	// MaxHeldRequestsPerNamespace is the default
	// activator-max-held-requests-per-namespace: the requests that one
	// namespace's revisions may hold waiting together, a quarter of
	// MaxHeldRequests, so that one tenant's flood leaves the rest to the
	// others.
	MaxHeldRequestsPerNamespace = MaxHeldRequests / 4

	// MeteringMode is the default metering-mode: each request's time at
	// the function is billed.
	MeteringMode = "request"
	// MeteringWindow is the default metering-window: the length of a
	// usage record's window.
	MeteringWindow = time.Minute
	// MeteringDefaultMemoryBytes is the default metering-default-memory
	// (128Mi): the memory a container without a limit or request is
	// billed for.
	MeteringDefaultMemoryBytes = 128 << 20
	// MeteringDefaultMilliCPU is the default metering-default-cpu (100m).
	MeteringDefaultMilliCPU = 100
	// MeteringWebhookSecret is the default metering-webhook-secret.
	MeteringWebhookSecret = "wake-metering-webhook"
)
