package scaler

import (
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// entry is the scaler's state for one revision.
type entry struct {
	key    types.NamespacedName
	gauges gauges

	mu         sync.Mutex // guards the fields below
	deployment string
	dep        DeploymentState // last observed state of the Deployment
	hasDep     bool            // dep is set: the Deployment exists
	decider    *decider.Decider
	lastSample int64 // Unix second of the newest sample; 0 before the first
	scale      int32 // last known spec.replicas; -1 before the first decision
	seq        uint64
	written    int32
	writtenAt  time.Time         // zero before the first write
	recorded   *decider.Decision // last decision shown on the status
	observed   *decider.Decision // last decision exported as metrics
	syncGen    uint64            // last Sync that listed this revision
	granted    int32             // replicas of the last decision, tenant limits applied; -1 before it
	capped     bool              // the last decision was cut by the namespace's tenant limits

	// unreachable, guarded by mu, says that no traffic can reach the
	// revision (see Target).
	unreachable bool
	// waking, guarded by mu, says that a poke's wake of the revision is
	// being written: a second poke meanwhile (each activator pokes once)
	// needs no second write.
	waking bool

	// writeMu orders this revision's writes, so an older decision never
	// lands after a newer one.
	writeMu sync.Mutex
}

// depKey names the entry's Deployment. The caller holds e.mu, or owns e
// before it is published.
func (e *entry) depKey() types.NamespacedName {
	return types.NamespacedName{Namespace: e.key.Namespace, Name: e.deployment}
}

// registry holds the tracked revisions and the observed Deployments. The
// list is rebuilt on change and never mutated, so readers iterate it
// without holding the lock. Lock order: registry.mu, then entry.mu.
type registry struct {
	mu    sync.RWMutex
	byKey map[types.NamespacedName]*entry // by Revision
	byDep map[types.NamespacedName]*entry // by Deployment
	list  []*entry
	// byNS groups list by namespace, each group sorted by revision name,
	// for the tenant limits; rebuilt with list.
	byNS map[string][]*entry
	// deps holds every observed Deployment, tracked or not yet: a
	// Deployment is often seen before its Revision is listed.
	deps map[types.NamespacedName]DeploymentState
}

func newRegistry() registry {
	return registry{
		byKey: map[types.NamespacedName]*entry{},
		byDep: map[types.NamespacedName]*entry{},
		deps:  map[types.NamespacedName]DeploymentState{},
	}
}

func (r *registry) get(key types.NamespacedName) *entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byKey[key]
}

func (r *registry) all() []*entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.list
}

// namespace returns the tracked revisions of ns, sorted by name. The slice
// is never mutated.
func (r *registry) namespace(ns string) []*entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byNS[ns]
}

// namespaces returns the tracked revisions grouped by namespace. The map
// is never mutated.
func (r *registry) namespaces() map[string][]*entry {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.byNS
}

// groupByNamespace groups list by namespace, each group sorted by name.
func groupByNamespace(list []*entry) map[string][]*entry {
	out := map[string][]*entry{}
	for _, e := range list {
		out[e.key.Namespace] = append(out[e.key.Namespace], e)
	}
	for _, g := range out {
		slices.SortFunc(g, func(a, b *entry) int { return strings.Compare(a.key.Name, b.key.Name) })
	}
	return out
}

// linkLocked indexes e under its Deployment and gives it that Deployment's
// observed state. The caller holds r.mu for writing.
func (r *registry) linkLocked(e *entry) {
	e.mu.Lock()
	defer e.mu.Unlock()
	k := e.depKey()
	r.byDep[k] = e
	e.dep, e.hasDep = r.deps[k]
}

// unlinkLocked removes e's Deployment index. The caller holds r.mu for
// writing.
func (r *registry) unlinkLocked(e *entry) {
	e.mu.Lock()
	k := e.depKey()
	e.mu.Unlock()
	if r.byDep[k] == e {
		delete(r.byDep, k)
	}
}

// Tracked reports whether a revision is being scaled; the stat server drops
// stats for any other.
func (s *Scaler) Tracked(rev types.NamespacedName) bool {
	return s.reg.get(rev) != nil
}
