// Package config is Wake's cluster-wide configuration: the wake-config
// ConfigMap in Wake's namespace, parsed into typed values.
//
// Every key is optional. A key whose value cannot be parsed keeps its last
// good value (or the default), and the error names the key.
//
// Every default is written once, in package defaults below this one
// (Default is built from it; the decider, the throttler and the
// activator's server read it there). Neither package imports anything of
// the activator or the autoscaler: they import these.
package config

import (
	"net/netip"
	"time"
)

// Name is the ConfigMap's name.
const Name = "wake-config"

// Values of domain-policy.
const (
	// DomainPolicyClaims lets a Route use a host outside its namespace's
	// own only when a DomainGrant gives the namespace that host or a
	// wildcard covering it; among the granted Routes the oldest wins.
	DomainPolicyClaims = "claims"
	// DomainPolicyFirstCome lets any namespace use any such host; the
	// oldest Route that asks for a host holds it.
	DomainPolicyFirstCome = "first-come"
)

// Config is the typed content of wake-config.
type Config struct {
	// Domain is the suffix of Function hosts: {name}.{namespace}.{domain}.
	Domain string
	// DomainPolicy decides which hosts outside its own namespace's
	// ({anything}.{namespace}.{domain}) a Route may use:
	// DomainPolicyClaims or DomainPolicyFirstCome.
	DomainPolicy string
	// Autoscaler holds the cluster-wide scaling defaults.
	Autoscaler Autoscaler
	// Activator tunes the request path.
	Activator Activator
	// Tenant holds the limits of each namespace that no TenantPolicy
	// selects, and of each limit a TenantPolicy leaves unset.
	Tenant Tenant
	// Metering decides how use is metered for billing and where the usage
	// records go.
	Metering Metering
}

// Metering configures metering (internal/metering). The activators read
// Mode and Window when they start: restart them to change either.
type Metering struct {
	// Mode is metering.ModeOff, ModeRequest or ModeInstance.
	Mode string
	// Window is the length of a usage record's window; it divides a day.
	Window time.Duration
	// ColdStartBillable adds the time requests were held for a cold start
	// to the billed units.
	ColdStartBillable bool
	// DefaultMemoryBytes and DefaultMilliCPU weigh a container that sets
	// neither a limit nor a request of memory or CPU.
	DefaultMemoryBytes int64
	DefaultMilliCPU    int64
	// JSONLines is the file the leader appends the records to, one JSON
	// line each; "-" is its standard output, "" writes none.
	JSONLines string
	// WebhookURL is where the leader posts the records in signed batches;
	// "" posts none.
	WebhookURL string
	// WebhookSecret names the Secret, in Wake's namespace, whose key
	// "hmac-key" signs the webhook's batches.
	WebhookSecret string
}

// Tenant holds the default limits of one namespace, each summed over its
// revisions and over all activators (see TenantPolicy); 0 means no limit.
type Tenant struct {
	// MaxInFlight caps the requests being served at once.
	MaxInFlight int32
	// MaxHeldRequests caps the requests held waiting.
	MaxHeldRequests int32
	// RequestsPerSecond is the sustained rate of requests admitted.
	RequestsPerSecond int32
	// Burst is how many requests may arrive at once above the rate; 0
	// means RequestsPerSecond.
	Burst int32
	// MaxPods caps the pods of the namespace's revisions together.
	MaxPods int32
	// MaxScaleUpPerMinute caps the pods added to the namespace's revisions
	// together in any minute.
	MaxScaleUpPerMinute int32
}

// Autoscaler holds the defaults for each Function's scaling fields and the
// cluster-wide limits of the algorithm.
type Autoscaler struct {
	// MinScale is the default spec.template.spec.scaling.minScale.
	MinScale int32
	// MaxScale is the default maxScale; 0 means no limit.
	MaxScale int32
	// InitialScale is the default initialScale.
	InitialScale int32
	// ContainerConcurrencyTargetDefault is the per-pod target for
	// revisions with unlimited concurrency and no target.
	ContainerConcurrencyTargetDefault float64
	// TargetUtilizationPercentage is the default targetUtilizationPercentage.
	TargetUtilizationPercentage float64
	// StableWindow is the default stableWindow.
	StableWindow time.Duration
	// PanicWindowPercentage is the default panicWindowPercentage.
	PanicWindowPercentage float64
	// PanicThresholdPercentage is the default panicThresholdPercentage.
	PanicThresholdPercentage float64
	// ScaleToZeroGracePeriod is the default scaleToZeroGracePeriod.
	ScaleToZeroGracePeriod time.Duration
	// ScaleDownDelay is the default scaleDownDelay.
	ScaleDownDelay time.Duration
	// MaxScaleUpRate bounds one decision's growth: at most this many times
	// the ready pods.
	MaxScaleUpRate float64
	// MaxScaleDownRate bounds one decision's shrink: at least the ready pods
	// divided by this.
	MaxScaleDownRate float64
}

// Activator tunes the activator.
type Activator struct {
	// QueueDepth is how many requests may wait per revision before the
	// activator answers 503.
	QueueDepth int
	// ProbePeriod is how often the activator probes a starting pod.
	ProbePeriod time.Duration
	// DrainTimeout is how long an activator keeps serving in-flight and
	// queued requests after SIGTERM.
	DrainTimeout time.Duration
	// TrustedProxies are the networks of proxies in front of the
	// activators whose X-Forwarded-* headers are kept; empty trusts none.
	TrustedProxies []netip.Prefix
	// MaxConnections caps the open client connections of one activator;
	// beyond it a new connection is answered 503 and closed.
	MaxConnections int
	// MaxHeldRequests caps the requests one activator holds waiting, in
	// all revisions' queues together; beyond it the activator answers 503.
	MaxHeldRequests int
	// MaxHeldRequestsPerNamespace caps the requests one activator holds
	// waiting for one namespace's revisions together, so that one tenant
	// cannot take all of MaxHeldRequests; beyond it the activator answers
	// 429 with "Wake-Limit: namespace-held-requests".
	MaxHeldRequestsPerNamespace int
}
