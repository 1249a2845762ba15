package throttler

import "sync/atomic"

// namespace counts the requests that one namespace's revisions hold
// waiting, for Options.MaxHeldPerNamespace. A namespace's revisions share
// one; the Throttler keeps it while the namespace has a revision.
type namespace struct {
	held atomic.Int64
	revs int // revisions registered; guarded by Throttler.mu
}

// joinNamespace returns the counter of key's namespace, counting one more
// revision in it. The caller holds t.mu.
func (t *Throttler) joinNamespace(key RevisionKey) *namespace {
	ns := t.namespaces[key.Namespace]
	if ns == nil {
		ns = &namespace{}
		t.namespaces[key.Namespace] = ns
	}
	ns.revs++
	return ns
}

// leaveNamespace counts one revision of key's namespace fewer, and forgets
// the namespace with its last revision. Requests still waiting keep the
// counter they hold. The caller holds t.mu.
func (t *Throttler) leaveNamespace(key RevisionKey, ns *namespace) {
	if ns.revs--; ns.revs == 0 {
		delete(t.namespaces, key.Namespace)
	}
}
