// Package scaler runs the deciders of all revisions and writes their
// Deployments' scale subresource.
//
// Every second it records each revision's summed concurrency (from Stats)
// into its decider; every TickInterval it decides for each revision and
// writes the Deployment's scale only when the number changes; on a poke for
// a revision at zero it decides for that revision at once. Decisions are
// exported as Prometheus gauges and shown on the Revision through a
// StatusRecorder.
//
// A tick reads nothing from the API server or its caches: the scaler learns
// each Deployment's replicas and readiness when they change
// (ObserveDeployment, from an informer's event handler), and re-lists the
// revisions (Targets) only after TargetsChanged, off the tick path.
//
// A Scaler runs on every replica of the controller: a standby records
// samples, so that its history is complete, but only the elected leader
// decides and writes, except that a standby wakes a revision at zero that
// the leader has not woken (see standby.go). A new leader's deciders do not scale down for a stable
// window (see package decider), so a failover cannot shrink a revision on
// missing history.
package scaler

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// Defaults of Options.
const (
	// DefaultTickInterval is how often the scaler decides for all revisions.
	DefaultTickInterval = 2 * time.Second
	// DefaultSampleInterval is how often concurrency is recorded: the width
	// of the deciders' buckets.
	DefaultSampleInterval = time.Second
	// DefaultWriters bounds concurrent writes to the API server, once for
	// the ticks and once more for the wakes, so that wakes never wait for
	// a tick's writes. A wake takes up to four calls one after another (the
	// Deployment's scale, its ReplicaSets listed and one scaled, the
	// Revision's status), so 50 revisions woken at once through 8 writers
	// waited about 3 s longer for their pods than 50 Deployments scaled by
	// hand (bench-scale); the scale client's own rate limit still bounds
	// the total.
	DefaultWriters = 32
	// DefaultCacheLag is how long a write is trusted over a cached
	// Deployment that still shows the previous scale.
	DefaultCacheLag = 5 * time.Second
	// DefaultStandbyWakeDelay is how long a standby leaves a poke to the
	// leader before it wakes the revision itself: long enough for the
	// leader's write to reach the standby's cache, short beside a cold
	// start.
	DefaultStandbyWakeDelay = time.Second
)

// Options configure a Scaler.
type Options struct {
	// Client writes the Deployments' scale subresource. Required. The
	// Deployments' state comes through ObserveDeployment, not from Client.
	Client client.Client
	// Targets lists the revisions to scale. Required.
	Targets Targets
	// Stats supplies the observed concurrency. Required.
	Stats Stats
	// Status records decisions on the Revisions; nil records none.
	Status StatusRecorder
	// Limits gives each namespace's tenant pod limits; nil limits none.
	// The revisions of a limited namespace are decided together, on
	// ticks and pokes alike, and capped (see decideNamespace).
	Limits TenantLimits
	// ReplicaSets, when set, scales a woken revision's ReplicaSet along
	// with its Deployment; nil leaves that to the Deployment's controller.
	ReplicaSets ReplicaSets
	// Elected is closed once this replica leads; nil means it always leads.
	// controller-runtime's manager.Elected() fits.
	Elected <-chan struct{}
	// Clock drives sampling and decisions; nil means the real clock.
	Clock clock.WithTicker
	// Log receives decisions and errors.
	Log logr.Logger
	// Registerer receives the metrics; nil registers none.
	Registerer prometheus.Registerer
	// TickInterval, SampleInterval, Writers and CacheLag default to the
	// Default* constants when zero.
	TickInterval, SampleInterval time.Duration
	// Writers bounds concurrent API writes.
	Writers int
	// CacheLag: see DefaultCacheLag.
	CacheLag time.Duration
	// StandbyWakeDelay: see DefaultStandbyWakeDelay and standby.go.
	StandbyWakeDelay time.Duration
}

// Scaler decides and writes the scale of every tracked revision.
type Scaler struct {
	opts    Options
	metrics *metrics
	reg     registry
	tenants tenants
	syncMu  sync.Mutex
	gen     uint64 // Sync generation, guarded by syncMu

	pokeMu    sync.Mutex
	pokes     map[types.NamespacedName]time.Time // the first poke of each, since the last batch
	pokeSig   chan struct{}
	tickSlots slots // the ticks' writers: one pool of Options.Writers
	// wakeSlots are the wakes' writers: a pool of Options.Writers for each
	// stage.
	wakeSlots  slots
	wakeWrites sync.WaitGroup // poke batches being written

	syncSig chan struct{} // TargetsChanged; capacity 1
	relist  atomic.Bool   // the last listing failed: retry on the next tick
}

// New returns a Scaler; it does nothing until started.
func New(o Options) (*Scaler, error) {
	switch {
	case o.Client == nil:
		return nil, errors.New("scaler: Options.Client is required")
	case o.Targets == nil:
		return nil, errors.New("scaler: Options.Targets is required")
	case o.Stats == nil:
		return nil, errors.New("scaler: Options.Stats is required")
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.TickInterval <= 0 {
		o.TickInterval = DefaultTickInterval
	}
	if o.SampleInterval <= 0 {
		o.SampleInterval = DefaultSampleInterval
	}
	if o.Writers <= 0 {
		o.Writers = DefaultWriters
	}
	if o.CacheLag <= 0 {
		o.CacheLag = DefaultCacheLag
	}
	if o.StandbyWakeDelay <= 0 {
		o.StandbyWakeDelay = DefaultStandbyWakeDelay
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return &Scaler{
		opts:    o,
		metrics: m,
		reg:     newRegistry(),
		pokes:   map[types.NamespacedName]time.Time{},
		pokeSig: make(chan struct{}, 1),
		syncSig: make(chan struct{}, 1),

		tickSlots: onePool(make(chan struct{}, o.Writers)),
		wakeSlots: slots{
			scale:      make(chan struct{}, o.Writers),
			replicaSet: make(chan struct{}, o.Writers),
			record:     make(chan struct{}, o.Writers),
		},
	}, nil
}

// NeedLeaderElection tells controller-runtime to run the Scaler on every
// replica: standbys sample, and Options.Elected gates the decisions.
func (s *Scaler) NeedLeaderElection() bool { return false }

// Leading reports whether this replica decides.
func (s *Scaler) Leading() bool {
	if s.opts.Elected == nil {
		return true
	}
	select {
	case <-s.opts.Elected:
		return true
	default:
		return false
	}
}

// Start syncs the targets, then samples, ticks, serves pokes and re-syncs
// the targets after TargetsChanged until ctx is done; it implements
// controller-runtime's manager.Runnable.
func (s *Scaler) Start(ctx context.Context) error {
	// Any change signalled so far is in this listing.
	select {
	case <-s.syncSig:
	default:
	}
	if err := s.Sync(ctx); err != nil {
		s.opts.Log.Error(err, "initial sync of scaling targets")
	}
	var wg sync.WaitGroup
	wg.Go(func() { s.every(ctx, s.opts.SampleInterval, func() { s.Sample(s.opts.Clock.Now()) }) })
	wg.Go(func() { s.every(ctx, s.opts.TickInterval, func() { s.Tick(ctx) }) })
	wg.Go(func() { s.servePokes(ctx) })
	wg.Go(func() { s.serveSyncs(ctx) })
	wg.Wait()
	s.wakeWrites.Wait() // servePokes, the only caller of wakeWrites.Go, has returned
	return nil
}

func (s *Scaler) every(ctx context.Context, d time.Duration, f func()) {
	t := s.opts.Clock.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			f()
		}
	}
}
