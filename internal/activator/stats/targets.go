package stats

import (
	"context"
	"slices"
	"sync/atomic"
)

// target is one stat server and the frames waiting to be sent to it.
type target struct {
	addr   string
	buf    *ring
	reauth chan struct{} // has a token when the token should be sent again
	// pending counts the frames queued and not yet written or dropped.
	pending atomic.Int64
	cancel  context.CancelFunc // stops its sender
}

// setTargets starts a sender for every new address and stops those of
// addresses no longer listed.
func (r *Reporter) setTargets(ctx context.Context, addrs []string) {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	for _, a := range addrs {
		if r.targets[a] != nil {
			continue
		}
		tctx, cancel := context.WithCancel(ctx)
		t := &target{addr: a, buf: newRing(r.cfg.BufferFrames), reauth: make(chan struct{}, 1), cancel: cancel}
		r.targets[a] = t
		r.senders.Go(func() { r.send(tctx, t) })
		r.log.Info("stat server added", "address", a)
	}
	for a, t := range r.targets {
		if !slices.Contains(addrs, a) {
			t.cancel()
			delete(r.targets, a)
			r.log.Info("stat server removed", "address", a)
		}
	}
}

// stopTargets stops every sender and waits for them to exit.
func (r *Reporter) stopTargets() {
	r.tmu.Lock()
	for a, t := range r.targets {
		t.cancel()
		delete(r.targets, a)
	}
	r.tmu.Unlock()
	r.senders.Wait()
}

// broadcast queues frame f for every stat server. With none, f is dropped.
func (r *Reporter) broadcast(f []byte) {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	if len(r.targets) == 0 {
		r.dropped.Add(1)
		return
	}
	for _, t := range r.targets {
		t.pending.Add(1)
		if t.buf.push(f) {
			r.dropped.Add(1)
			t.pending.Add(-1)
		}
	}
}

// Targets returns the stat servers' addresses the Reporter currently sends
// to, sorted.
func (r *Reporter) Targets() []string {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	addrs := make([]string, 0, len(r.targets))
	for a := range r.targets {
		addrs = append(addrs, a)
	}
	slices.Sort(addrs)
	return addrs
}
