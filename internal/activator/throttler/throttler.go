package throttler

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"
)

// Throttler routes requests to the pods of many revisions, one revision
// throttler each. It is safe for concurrent use.
type Throttler struct {
	cfg         Options
	ctx         context.Context // canceled by Close; parent of probe loops
	cancel      context.CancelFunc
	probeClient *http.Client
	probes      sync.WaitGroup
	held        atomic.Int64 // requests waiting in any queue (Options.MaxHeld)

	mu     sync.RWMutex
	closed bool
	revs   map[RevisionKey]*revision
	// namespaces counts held requests per namespace (MaxHeldPerNamespace).
	namespaces map[string]*namespace
	pending    map[RevisionKey][]Endpoint // endpoints seen before the revision
	acts       activatorSet
}

// New returns a Throttler configured by cfg (zero fields take defaults).
// It assumes it is the only activator until SetActivators says otherwise.
func New(cfg Options) *Throttler {
	cfg = cfg.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	return &Throttler{
		cfg:         cfg,
		ctx:         ctx,
		cancel:      cancel,
		probeClient: newProbeClient(cfg.Dial),
		revs:        map[RevisionKey]*revision{},
		namespaces:  map[string]*namespace{},
		pending:     map[RevisionKey][]Endpoint{},
		acts:        activatorSet{count: 1},
	}
}

// UpsertRevision registers the revision key, or updates its config. A
// lower containerConcurrency applies to new requests; those in flight
// finish. Endpoints set before the revision was registered are applied.
func (t *Throttler) UpsertRevision(key RevisionKey, rc RevisionConfig) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	if r := t.revs[key]; r != nil {
		r.update(rc)
		return
	}
	r := newRevision(t, key, rc, t.acts, t.joinNamespace(key))
	t.revs[key] = r
	if eps, ok := t.pending[key]; ok {
		delete(t.pending, key)
		r.setEndpoints(eps)
	}
}

// DeleteRevision forgets the revision key: its waiting requests fail with
// ErrRevisionRemoved, its probes stop, and later calls to Try fail with
// ErrRevisionNotFound. Requests in flight finish normally.
func (t *Throttler) DeleteRevision(key RevisionKey) {
	t.mu.Lock()
	r := t.revs[key]
	delete(t.revs, key)
	delete(t.pending, key)
	if r != nil {
		t.leaveNamespace(key, r.ns)
	}
	t.mu.Unlock()
	if r != nil {
		r.close()
	}
}

// SetEndpoints replaces the endpoints of the revision key with eps, ready
// and not-ready ones (see Endpoint). Pods that are not ready are probed
// every ProbePeriod and used as soon as they accept connections. Endpoints
// of a revision not yet registered are kept until UpsertRevision.
func (t *Throttler) SetEndpoints(key RevisionKey, eps []Endpoint) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return
	}
	r := t.revs[key]
	if r == nil {
		t.pending[key] = append([]Endpoint(nil), eps...)
		return
	}
	r.setEndpoints(eps)
}

// SetActivators tells the throttler there are count activator replicas and
// this one has the given index in [0, count). Each activator then uses only
// its share of every pod's containerConcurrency so that together they never
// exceed it (see share.go). An index outside [0, count) means the
// activator is not yet in the rotation: it uses whole pods, as when alone.
func (t *Throttler) SetActivators(count, index int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	acts := activatorSet{count: max(1, count), index: index}
	if acts == t.acts {
		return
	}
	t.acts = acts
	for _, r := range t.revs {
		r.setActivators(acts)
	}
}

// Stats returns a snapshot of the revision key's queue and load, and false
// if the revision is unknown.
func (t *Throttler) Stats(key RevisionKey) (RevisionStats, bool) {
	r := t.lookup(key)
	if r == nil {
		return RevisionStats{}, false
	}
	return r.stats(), true
}

// RangeStats calls f with a snapshot of every registered revision, in no
// particular order. It holds no lock while f runs.
func (t *Throttler) RangeStats(f func(RevisionKey, RevisionStats)) {
	t.mu.RLock()
	revs := make([]*revision, 0, len(t.revs))
	for _, r := range t.revs {
		revs = append(revs, r)
	}
	t.mu.RUnlock()
	for _, r := range revs {
		f(r.key, r.stats())
	}
}

// Close fails every waiting request with ErrRevisionRemoved, stops all
// probes and waits for them to exit. Requests in flight finish normally;
// the Throttler accepts no new requests.
func (t *Throttler) Close() {
	t.mu.Lock()
	t.closed = true
	revs := t.revs
	t.revs = map[RevisionKey]*revision{}
	t.pending = map[RevisionKey][]Endpoint{}
	t.mu.Unlock()
	t.cancel()
	for _, r := range revs {
		r.close()
	}
	t.probes.Wait()
	t.probeClient.CloseIdleConnections()
}

// lookup returns the revision key, or nil.
func (t *Throttler) lookup(key RevisionKey) *revision {
	t.mu.RLock()
	r := t.revs[key]
	t.mu.RUnlock()
	return r
}
