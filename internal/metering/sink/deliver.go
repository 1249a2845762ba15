package sink

import (
	"context"
	"fmt"
	"time"

	"github.com/wakefn/wake/internal/metering"
)

// Run sends until ctx ends: a full batch as soon as one is queued, and
// whatever is queued every FlushInterval. A batch cut off by ctx's end
// stays queued, for Flush.
func (e *Exporter) Run(ctx context.Context) {
	tick := e.clock.NewTicker(e.flushInterval)
	defer tick.Stop()
	fullBatch := func() bool { return e.queuedLocked() >= e.maxBatch }
	anyQueued := func() bool { return e.queuedLocked() > 0 }
	for {
		select {
		case <-ctx.Done():
			return
		case <-e.full:
			_ = e.drain(ctx, fullBatch) // it returns an error only when ctx ended
		case <-tick.C():
			_ = e.drain(ctx, anyQueued)
		}
	}
}

// Flush sends the events queued when it is called, in batches, retrying
// failed ones with backoff, and returns once they have all left the queue
// (delivered, refused or dropped), or ctx ends: then it returns an error
// saying how many events are still queued. It is meant for shutdown, after
// Run's context ended; if Run is sending, Flush waits its turn.
func (e *Exporter) Flush(ctx context.Context) error {
	e.mu.Lock()
	target := e.removed + uint64(e.queuedLocked())
	e.mu.Unlock()
	if err := e.drain(ctx, func() bool { return e.removed < target }); err != nil {
		return fmt.Errorf("flush metering sink %s: %d events still queued: %w", e.sink.Name(), e.Queued(), err)
	}
	return nil
}

// drain sends batches while enough (called with e.mu held) says that
// enough is queued, sending a failed batch again after a backoff. It
// returns ctx's error if ctx ends first.
func (e *Exporter) drain(ctx context.Context, enough func() bool) error {
	select {
	case e.sending <- struct{}{}:
	case <-ctx.Done():
		return ctx.Err()
	}
	defer func() { <-e.sending }()
	attempt := 0
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		batch := e.next(enough)
		if batch == nil {
			return nil
		}
		err := e.sink.Send(ctx, batch)
		if e.settle(ctx, batch, err, attempt) {
			attempt = 0
			continue
		}
		if !e.sleep(ctx, backoff(attempt, e.minBackoff, e.maxBackoff, e.jitter)) {
			return ctx.Err()
		}
		attempt++
	}
}

// next returns the batch to send, topped up from the ring and marked in
// flight, or nil if enough says to wait.
func (e *Exporter) next(enough func() bool) []metering.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	if !enough() {
		return nil
	}
	if want := min(e.maxBatch, e.queuedLocked()); cap(e.batch) < want {
		b := make([]metering.Event, len(e.batch), want)
		copy(b, e.batch)
		e.batch = b
	}
	for len(e.batch) < e.maxBatch && e.ring.count() > 0 {
		e.batch = append(e.batch, e.ring.pop())
	}
	if len(e.batch) == 0 {
		return nil
	}
	e.inflight = true
	return e.batch
}

// settle records what Send returned for batch, the attempt'th retry of it,
// and reports whether the batch left the queue: delivered, or refused for
// good. A batch that failed otherwise stays at the head of the queue.
func (e *Exporter) settle(ctx context.Context, batch []metering.Event, err error, attempt int) (left bool) {
	n := len(batch)
	refused := err != nil && IsPermanent(err)
	e.mu.Lock()
	e.inflight = false
	if err == nil || refused {
		e.batch = nil
		e.removed += uint64(n)
	}
	if err == nil {
		e.overflowing = false
	}
	e.metrics.queued.Set(float64(e.queuedLocked()))
	e.mu.Unlock()

	switch {
	case err == nil:
		e.metrics.exported.Add(float64(n))
		return true
	case refused:
		e.dropped.Add(uint64(n))
		e.metrics.refused.Add(float64(n))
		e.log.Error(err, "metering sink refused a batch for good; dropped it", "events", n, "firstID", batch[0].ID)
		return true
	case ctx.Err() != nil:
		return false // cut off by shutdown: not the sink's failure
	default:
		e.metrics.failures.Inc()
		e.log.Error(err, "send metering batch; will retry", "events", n, "attempt", attempt+1)
		return false
	}
}

// sleep waits d, and reports false if ctx ended first.
func (e *Exporter) sleep(ctx context.Context, d time.Duration) bool {
	t := e.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// backoff returns the wait before sending a batch again after its
// attempt'th failure (from 0): lo doubled attempt times, at most hi, less
// a random part of up to half of that, and never less than lo. rnd returns
// a random number in [0, n).
func backoff(attempt int, lo, hi time.Duration, rnd func(n int64) int64) time.Duration {
	d := lo
	for i := 0; i < attempt && d < hi; i++ {
		d *= 2
	}
	d = min(d, hi)
	if half := int64(d / 2); half > 0 {
		d -= time.Duration(rnd(half + 1))
	}
	return max(d, lo)
}
