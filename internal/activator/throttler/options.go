package throttler

import (
	"context"
	"net"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/config/defaults"
)

// RevisionKey names a Revision by namespace and name.
type RevisionKey = types.NamespacedName

// Defaults applied by New to zero Options fields. QueueDepth, MaxHeld and
// ProbePeriod default to wake-config's defaults (defaults.QueueDepth,
// defaults.MaxHeldRequests, defaults.ProbePeriod).
const (
	// DefaultProbeTimeout bounds one probe (connect, or connect plus HTTP GET).
	DefaultProbeTimeout = 250 * time.Millisecond
	// DefaultEjectBase is how long a pod that answered out of bounds is
	// ejected the first time (see ErrBadAnswer).
	DefaultEjectBase = time.Second
	// DefaultEjectMax bounds how long a pod is ejected.
	DefaultEjectMax = 30 * time.Second
)

// DialFunc opens a connection, with the signature of net.Dialer.DialContext.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// Options configures a Throttler. The zero value is usable.
type Options struct {
	// QueueDepth is the default bound on requests waiting per revision;
	// 0 means defaults.QueueDepth. RevisionConfig.QueueDepth overrides it.
	QueueDepth int
	// MaxHeld bounds the requests waiting in all revisions' queues
	// together; beyond it Try fails with ErrHeldLimit. 0 means
	// defaults.MaxHeldRequests.
	MaxHeld int
	// MaxHeldPerNamespace bounds the requests waiting in the queues of one
	// namespace's revisions together, so that one tenant cannot take all
	// of MaxHeld; beyond it Try fails with ErrNamespaceHeldLimit. 0 means
	// defaults.MaxHeldRequestsPerNamespace.
	MaxHeldPerNamespace int
	// TenantHeld, if set, returns this activator's share of the tenant
	// limit on the requests held for namespace ns (its TenantPolicy's
	// maxHeldRequests), and false when ns has none. It is a second bound
	// on the count MaxHeldPerNamespace bounds; beyond it Try fails with
	// ErrTenantHeldLimit. It is called with a revision's lock held, only
	// for a request about to wait, and must be quick.
	TenantHeld func(ns string) (share int64, limited bool)
	// OnWait, if set, is called when a request starts waiting in a queue
	// (never for one that gets a slot at once), with its context. If the
	// channel it returns is closed, the request leaves the queue and Try
	// fails with ErrClientGone; the function it returns is called when the
	// wait is over. The activator ends the waits of requests whose client
	// has gone this way (clientgone.Watcher.Hold). It runs on the waiting
	// goroutine, whose stack should stay small (see Try): a channel costs
	// nothing there, a derived context doubles that stack.
	OnWait func(ctx context.Context) (gone <-chan struct{}, done func())
	// ProbePeriod is the interval between probes of a pod that is not ready
	// in the endpoints; 0 means defaults.ProbePeriod.
	ProbePeriod time.Duration
	// ProbeTimeout bounds a single probe; 0 means DefaultProbeTimeout.
	ProbeTimeout time.Duration
	// OnColdStart, if set, is called (on its own goroutine) when a request
	// starts waiting for a revision that has no ready pod, once per episode:
	// it is called again only after the revision had a ready pod or its
	// queue emptied. It is meant to poke the autoscaler.
	OnColdStart func(RevisionKey)
	// EjectBase and EjectMax bound how long a pod that answered out of
	// bounds gets no requests (see ErrBadAnswer); 0 means DefaultEjectBase
	// and DefaultEjectMax.
	EjectBase, EjectMax time.Duration
	// Clock is the time source for waits, probe periods and outcomes;
	// nil means the real clock. Tests inject a fake clock.
	Clock clock.WithDelayedExecution
	// Dial opens probe connections; nil means a net.Dialer. Tests inject a
	// dialer to observe or fail probes.
	Dial DialFunc
	// Logger receives probe and lifecycle logs; the zero Logger discards.
	Logger logr.Logger
}

// withDefaults returns c with zero fields replaced by their defaults.
func (c Options) withDefaults() Options {
	if c.QueueDepth <= 0 {
		c.QueueDepth = defaults.QueueDepth
	}
	if c.MaxHeld <= 0 {
		c.MaxHeld = defaults.MaxHeldRequests
	}
	if c.MaxHeldPerNamespace <= 0 {
		c.MaxHeldPerNamespace = defaults.MaxHeldRequestsPerNamespace
	}
	if c.ProbePeriod <= 0 {
		c.ProbePeriod = defaults.ProbePeriod
	}
	if c.ProbeTimeout <= 0 {
		c.ProbeTimeout = DefaultProbeTimeout
	}
	if c.EjectBase <= 0 {
		c.EjectBase = DefaultEjectBase
	}
	if c.EjectMax <= 0 {
		c.EjectMax = DefaultEjectMax
	}
	if c.Clock == nil {
		c.Clock = clock.RealClock{}
	}
	if c.Dial == nil {
		c.Dial = (&net.Dialer{}).DialContext
	}
	return c
}

// RevisionConfig is what the throttler needs to know about one revision.
type RevisionConfig struct {
	// ContainerConcurrency is the most requests one pod serves at once;
	// 0 means unlimited (requests go to the least loaded of two random pods).
	// Negative values are treated as 0.
	ContainerConcurrency int
	// ProbePath is the HTTP path probed on pods that are not yet ready
	// (2xx and 3xx mean ready); "" means a TCP connect probe.
	ProbePath string
	// ProbePort is the port probed; 0 means the endpoint's own port.
	ProbePort int
	// QueueDepth bounds the requests waiting for this revision;
	// 0 means Options.QueueDepth.
	QueueDepth int
}

// Endpoint is one pod address of a revision, as listed by its
// EndpointSlices. Callers pass every serving address, ready or not, but
// should leave out terminating ones. A pod that was once ready and is now
// not ready is taken out of rotation and not probed again (it is probably
// terminating or failing its readiness probe); a pod that has never been
// ready is probed and used as soon as it accepts connections.
type Endpoint struct {
	// Address is the pod's ip:port.
	Address string
	// Ready is the endpoint's ready condition.
	Ready bool
}
