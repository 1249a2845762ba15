package throttler

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Outcome describes how one call to Try went, or, as fn receives it, how it
// went so far. The handler reports Wait in milliseconds in the
// Wake-Cold-Start header when ColdStart is set.
type Outcome struct {
	// Dest is the pod address of the last attempt ("" if none was made).
	Dest string
	// Wait is the total time spent waiting in the queue (both attempts).
	Wait time.Duration
	// ColdStart is set when the request arrived while the revision had no
	// pod to send it to, and so waited for one to start.
	ColdStart bool
	// EndpointWait is the part of Wait, on a cold start, until a pod of the
	// revision was listed in its endpoints (ready or not).
	EndpointWait time.Duration
	// ReadyWait is the part of Wait, on a cold start, from then until a pod
	// was ready or accepted our probe. The rest of Wait (Wait -
	// EndpointWait - ReadyWait) was spent waiting for a free slot.
	ReadyWait time.Duration
	// Retried is set when the first attempt failed with ErrDialFailed and fn
	// was called a second time on another pod.
	Retried bool
}

// Mode says what Try does with a request this activator has no share of
// capacity for.
type Mode uint8

const (
	// Queue waits here for capacity: for a request that was forwarded
	// already, and where there is no one to forward to.
	Queue Mode = iota
	// Forward returns a *NoShareError instead of waiting, when this
	// activator has no share of the revision's capacity while the revision
	// has some (its ready pods × containerConcurrency slots all belong to
	// other activators, see share.go). It names the activator that owns the
	// revision's first slot, and fn is not called. It does so at once, or,
	// for a request already waiting (a cold start whose pod just came up),
	// as soon as the shares show it. Busy capacity and a revision without
	// pods wait as with Queue.
	Forward
)

// Try waits for a slot on a pod of the revision key, calls fn with the pod's
// ip:port and the outcome so far, and frees the slot when fn returns (or
// panics). The outcome fn sees has Dest, ColdStart, Wait and its phases as
// they stand when fn is called, so the caller can report them in the
// response (the Wake-Cold-Start header); on a retry fn sees them summed over
// both waits, with Retried set. The wait is bound by ctx: the caller sets
// the revision's timeout on it. mode says whether a request this activator
// has no share for waits or is handed back for forwarding.
//
// Errors: ErrRevisionNotFound for an unknown revision; ErrQueueFull when the
// queue is full, ErrNamespaceHeldLimit when the queues of the revision's
// namespace hold Options.MaxHeldPerNamespace requests, ErrTenantHeldLimit
// when they hold the namespace's share of Options.TenantHeld, and
// ErrHeldLimit when all queues together hold Options.MaxHeld (all four
// returned at once);
// ErrTimeout wrapped with
// context.DeadlineExceeded when ctx's deadline passed while waiting;
// context.Canceled (wrapped) when the client left; ErrClientGone when
// Options.OnWait's channel said so; ErrRevisionRemoved when the revision
// was deleted while waiting; *NoShareError with mode Forward. Otherwise
// Try returns fn's error.
//
// If fn's error wraps ErrDialFailed and another pod has capacity for this
// activator, Try waits (first in line, within the same ctx) for a slot on a
// pod other than the failed one and calls fn once more.
//
// A request held in the queue keeps its goroutine's stack: the call chain
// down to the wait is kept shallow (no wrapper methods) so that a held
// request's stack fits in 4 KiB (see the activator benchmark's memory lane).
func (t *Throttler) Try(ctx context.Context, key RevisionKey, mode Mode, fn func(dest string, o Outcome) error) (Outcome, error) {
	var out Outcome
	r := t.lookup(key)
	if r == nil {
		return out, fmt.Errorf("revision %s: %w", key, ErrRevisionNotFound)
	}
	p, err := r.acquire(ctx, nil, mode == Forward, &out)
	if err != nil {
		return out, err
	}
	out.Dest = p.addr
	err = r.run(p, fn, out)
	if err == nil || !errors.Is(err, ErrDialFailed) || !r.canRetry(p) {
		return out, err
	}
	out.Retried = true
	p, werr := r.acquire(ctx, p, false, &out)
	if werr != nil {
		return out, fmt.Errorf("retry after %v: %w", err, werr)
	}
	out.Dest = p.addr
	return out, r.run(p, fn, out)
}

// run calls fn on p with the outcome so far and frees p's slot afterwards,
// even if fn panics (httputil.ReverseProxy panics with http.ErrAbortHandler).
func (r *revision) run(p *pod, fn func(string, Outcome) error, out Outcome) (err error) {
	defer func() { r.release(p, err) }()
	return fn(p.addr, out)
}

// acquire returns a pod with a slot taken for the caller, waiting in the
// queue if none is free. excl is nil for a first attempt, and the pod that
// failed for a retry: a retry avoids it, skips the depth check and goes to
// the head of the queue. forward is set for mode Forward: with no share of
// a revision that has capacity, it returns a *NoShareError instead of
// waiting.
func (r *revision) acquire(ctx context.Context, excl *pod, forward bool, out *Outcome) (*pod, error) {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("revision %s: %w", r.key, ErrRevisionNotFound)
	}
	if forward && r.owner >= 0 {
		// Counted by the activator it is forwarded to.
		owner := r.owner
		r.mu.Unlock()
		return nil, &NoShareError{Owner: owner}
	}
	if excl == nil {
		r.requests++
	}
	if excl != nil || r.queue.len() == 0 {
		if p := r.pick(excl); p != nil {
			r.take(p)
			r.mu.Unlock()
			return p, nil
		}
	}
	if depth := r.depth; excl == nil && r.queue.len() >= depth {
		r.mu.Unlock()
		return nil, fmt.Errorf("revision %s: %w (%d waiting)", r.key, ErrQueueFull, depth)
	}
	// Released by wait. A retry was admitted already: it is not refused.
	// The namespace's cap comes first: over it, the tenant is refused
	// (429) even when the activator is full too.
	if err := r.holdInNamespace(excl == nil); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	if held := r.t.held.Add(1); excl == nil && held > int64(r.t.cfg.MaxHeld) {
		r.t.held.Add(-1)
		r.ns.held.Add(-1)
		r.mu.Unlock()
		return nil, fmt.Errorf("revision %s: %w (%d in all queues)", r.key, ErrHeldLimit, r.t.cfg.MaxHeld)
	}
	w := getWaiter()
	w.excl = excl
	w.forward = forward
	w.enqueued = r.t.cfg.Clock.Now()
	w.cold = len(r.routable) == 0
	if excl != nil {
		r.queue.pushFront(w)
	} else {
		r.queue.pushBack(w)
	}
	poke := w.cold && !r.poked
	if w.cold {
		r.poked = true
	}
	// Waiters ahead may be retries that cannot use the free slot.
	r.dispatch()
	r.mu.Unlock()
	if poke && r.t.cfg.OnColdStart != nil {
		go r.t.cfg.OnColdStart(r.key)
	}
	return r.wait(ctx, w, out)
}

// unhold returns w to its pool and counts one request fewer held in r's
// namespace and in the activator.
func (r *revision) unhold(w *waiter) {
	putWaiter(w)
	r.ns.held.Add(-1)
	r.t.held.Add(-1)
}

// holdInNamespace counts one more request held in r's namespace, or, for
// a first attempt (bounded), refuses it over Options.MaxHeldPerNamespace
// (ErrNamespaceHeldLimit) or over the namespace's share of its tenant
// limit (Options.TenantHeld, ErrTenantHeldLimit). The caller holds r.mu.
func (r *revision) holdInNamespace(bounded bool) error {
	held := r.ns.held.Add(1)
	if !bounded {
		return nil
	}
	if held > int64(r.t.cfg.MaxHeldPerNamespace) {
		r.ns.held.Add(-1)
		return fmt.Errorf("revision %s: %w (%d in namespace %s)", r.key, ErrNamespaceHeldLimit, r.t.cfg.MaxHeldPerNamespace, r.key.Namespace)
	}
	if f := r.t.cfg.TenantHeld; f != nil {
		if share, limited := f(r.key.Namespace); limited && held > share {
			r.ns.held.Add(-1)
			return fmt.Errorf("revision %s: %w (share %d in namespace %s)", r.key, ErrTenantHeldLimit, share, r.key.Namespace)
		}
	}
	return nil
}

// wait blocks until w is given a pod or an error, or ctx is done, or the
// channel Options.OnWait returned is closed (the client is gone). A waiter
// leaving on ctx or that channel leaves the queue at once; if it was
// given a pod in the meantime, the slot goes back to the next waiter.
func (r *revision) wait(ctx context.Context, w *waiter, out *Outcome) (*pod, error) {
	// One deferred call, not three: each defer grows this frame, which
	// every held request keeps on its stack while it waits.
	defer r.unhold(w)
	var gone <-chan struct{} // nil: never ready
	if onWait := r.t.cfg.OnWait; onWait != nil {
		var done func()
		gone, done = onWait(ctx)
		defer done()
	}
	out.ColdStart = out.ColdStart || w.cold
	var left error // why the waiter left before being given a pod
	select {
	case <-w.ch:
	case <-ctx.Done():
		left = r.waitError(ctx)
	case <-gone:
		left = fmt.Errorf("revision %s: %w", r.key, ErrClientGone)
	}
	if left != nil {
		r.mu.Lock()
		if w.queued {
			r.queue.remove(w)
			if r.queue.len() == 0 && len(r.routable) == 0 {
				r.poked = false // the next request starts a new episode
			}
			r.mu.Unlock()
			out.Wait += r.t.cfg.Clock.Since(w.enqueued)
			return nil, left
		}
		r.mu.Unlock()
		<-w.ch // given a pod or an error just before; the signal is there
	}
	if w.err != nil {
		out.Wait += r.t.cfg.Clock.Since(w.enqueued)
		return nil, fmt.Errorf("revision %s: %w", r.key, w.err)
	}
	out.Wait += w.released.Sub(w.enqueued)
	out.EndpointWait += w.endpointWait
	out.ReadyWait += w.readyWait
	if left == nil && ctx.Err() != nil {
		left = r.waitError(ctx)
	}
	if left != nil {
		r.release(w.pod, nil) // not consumed: hand it to the next waiter
		return nil, left
	}
	return w.pod, nil
}

// waitError describes why ctx ended a wait.
func (r *revision) waitError(ctx context.Context) error {
	err := ctx.Err()
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("revision %s: %w: %w", r.key, ErrTimeout, err)
	}
	return fmt.Errorf("revision %s: waiting for capacity: %w", r.key, err)
}

// dispatch hands free slots to waiters in arrival order. A retry waiter
// that cannot use any free pod is passed over; a first attempt that cannot
// means there is no free slot at all. The caller holds r.mu.
func (r *revision) dispatch() {
	if r.queue.len() == 0 || len(r.routable) == 0 || (r.cc > 0 && r.free == 0) {
		return
	}
	now := r.t.cfg.Clock.Now()
	for w := r.queue.head; w != nil; {
		next := w.next
		p := r.pick(w.excl)
		if p == nil {
			if w.excl == nil {
				return
			}
			w = next
			continue
		}
		r.take(p)
		r.queue.remove(w)
		r.assign(w, p, now)
		if r.cc > 0 && r.free == 0 {
			return
		}
		w = next
	}
}

// assign gives p to w at time now and wakes w. The caller holds r.mu.
func (r *revision) assign(w *waiter, p *pod, now time.Time) {
	w.pod = p
	w.released = now
	if w.cold {
		// Cold start phases: enqueued → endpoint listed → pod usable → now.
		ep := later(w.enqueued, r.endpointsSince)
		ready := later(ep, r.routableSince)
		ep, ready = earlier(ep, now), earlier(ready, now)
		w.endpointWait, w.readyWait = ep.Sub(w.enqueued), ready.Sub(ep)
	}
	w.ch <- struct{}{}
}

// release frees p's slot after a request ended with err, demoting p if it
// was in use only on our probe's word and could not be dialled.
func (r *revision) release(p *pod, err error) {
	dialFailed := err != nil && errors.Is(err, ErrDialFailed)
	badAnswer := err != nil && errors.Is(err, ErrBadAnswer)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.put(p)
	switch {
	case dialFailed:
		r.demote(p)
	case badAnswer:
		r.eject(p)
	case err == nil:
		p.strikes, p.trial = 0, false
	}
	r.dispatch()
}

// canRetry reports whether a pod other than p could take a retry.
func (r *revision) canRetry(p *pod) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.routable {
		if q != p && (r.cc == 0 || q.capacity > 0) {
			return true
		}
	}
	return false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
