package feed

import (
	"context"
	"time"

	"k8s.io/utils/clock"
)

const (
	// rebuildGapFactor is how many times its own duration the activator
	// waits after a table rebuild before the next one. Under churn (thousands
	// of Functions created at once) rebuilds then take at most a tenth of a
	// core; on a calm cluster a rebuild takes microseconds, so changes reach
	// the table at once.
	rebuildGapFactor = 9
	// maxRebuildGap bounds that wait, so a change reaches a huge table
	// within about a second.
	maxRebuildGap = time.Second
)

// rebuildGap is the wait after a rebuild that took d.
func rebuildGap(d time.Duration) time.Duration {
	return min(rebuildGapFactor*d, maxRebuildGap)
}

// pacedLoop calls rebuild once at the start and then once per kick, kicks
// that arrive meanwhile coalescing into one, and leaves rebuildGap of the
// last call's duration between the end of one call and the start of the
// next. It returns when ctx ends.
func pacedLoop(ctx context.Context, clk clock.Clock, kick <-chan struct{}, rebuild func(context.Context)) {
	for {
		start := clk.Now()
		rebuild(ctx)
		if gap := rebuildGap(clk.Since(start)); gap > 0 {
			select {
			case <-ctx.Done():
				return
			case <-clk.After(gap):
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
	}
}
