package stats

import (
	"context"
	"fmt"

	"github.com/wakefn/wake/internal/statwire"
)

// Flush sends a last report and everything the meter holds
// (Options.FinalMetering) to every stat server, and waits until each
// frame queued so far was written or dropped, or ctx ends. Call it once
// the activator serves no more requests and before Run's context ends:
// a graceful shutdown then loses nothing the activator measured.
func (r *Reporter) Flush(ctx context.Context) error {
	now := r.clock.Now()
	r.enqueue(r.Report(now))
	if r.cfg.FinalMetering != nil {
		for _, m := range r.cfg.FinalMetering() {
			r.enqueue(statwire.Frame{Source: r.cfg.Source, Timestamp: now.UnixMilli(), Stats: []statwire.Stat{}, Metering: m})
		}
	}
	for {
		waiting := r.waiting()
		if waiting == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("stats: %d frames not sent: %w", waiting, ctx.Err())
		case <-r.progress:
		}
	}
}

// waiting returns the frames queued for the stat servers and not yet
// written or dropped.
func (r *Reporter) waiting() int {
	r.tmu.Lock()
	defer r.tmu.Unlock()
	n := 0
	for _, t := range r.targets {
		n += int(t.pending.Load())
	}
	return n
}

// progressed wakes a Flush waiting for the queues to empty.
func (r *Reporter) progressed() {
	select {
	case r.progress <- struct{}{}:
	default:
	}
}
