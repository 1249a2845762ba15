package handler

import (
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/types"
)

// coldState tells, at dispatch, whether a request waited for a cold start.
// The state packs an episode counter and a cold bit: OnColdStart opens an
// episode, the first dispatch after it closes it. A request was held for a
// cold start when it arrived during an open episode, or an episode opened
// after it arrived (the throttler reports cold starts asynchronously).
type coldState struct{ v atomic.Uint64 }

func (c *coldState) snapshot() uint64 { return c.v.Load() }

func (c *coldState) open() {
	for {
		s := c.v.Load()
		if c.v.CompareAndSwap(s, (s>>1+1)<<1|1) {
			return
		}
	}
}

// dispatched reports whether a request that arrived at state s0 was held
// for a cold start, and closes an open episode.
func (c *coldState) dispatched(s0 uint64) bool {
	s := c.v.Load()
	held := s0&1 == 1 || s>>1 != s0>>1
	if s&1 == 1 {
		c.v.CompareAndSwap(s, s&^1)
	}
	return held
}

// coldStates maps revisions to their state; reads are lock free.
type coldStates struct {
	mu sync.Mutex
	m  atomic.Pointer[map[types.NamespacedName]*coldState]
}

func (cs *coldStates) get(key types.NamespacedName) *coldState {
	if m := cs.m.Load(); m != nil {
		if c := (*m)[key]; c != nil {
			return c
		}
	}
	cs.mu.Lock()
	defer cs.mu.Unlock()
	old := cs.m.Load()
	if old != nil {
		if c := (*old)[key]; c != nil {
			return c
		}
	}
	next := make(map[types.NamespacedName]*coldState, mapLen(old)+1)
	if old != nil {
		for k, v := range *old {
			next[k] = v
		}
	}
	c := &coldState{}
	next[key] = c
	cs.m.Store(&next)
	return c
}

func (cs *coldStates) remove(key types.NamespacedName) {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	old := cs.m.Load()
	if old == nil {
		return
	}
	if _, ok := (*old)[key]; !ok {
		return
	}
	next := make(map[types.NamespacedName]*coldState, len(*old))
	for k, v := range *old {
		if k != key {
			next[k] = v
		}
	}
	cs.m.Store(&next)
}

func mapLen(m *map[types.NamespacedName]*coldState) int {
	if m == nil {
		return 0
	}
	return len(*m)
}
