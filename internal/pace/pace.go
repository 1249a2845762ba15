// Package pace runs work that reads every object of a kind (the
// activator's routing table, the autoscaler's targets) after each change,
// at a pace that bounds its cost: under churn, thousands of Functions
// applied at once, the changes come faster than the work takes, and done
// back to back it would take a core of its own in every replica.
package pace

import (
	"context"
	"time"

	"golang.org/x/time/rate"
	"k8s.io/utils/clock"
)

const (
	// GapFactor is how many times its own duration Loop waits after a
	// call before the next: under churn the work then takes at most a
	// twentieth of a core, and on a calm cluster, where it takes
	// microseconds, a change is served at once.
	GapFactor = 19
	// MaxGap bounds that wait, so a change is served within about a
	// second however long the work takes.
	MaxGap = time.Second
)

// Gap is the wait after a call that took d.
func Gap(d time.Duration) time.Duration {
	return min(GapFactor*d, MaxGap)
}

// Loop calls work after each kick (kicks that arrive meanwhile coalesce
// into one, as a channel of capacity 1 makes them), and leaves Gap of the
// last call's duration, measured on clk, between the end of one call and
// the start of the next. It returns when ctx ends.
func Loop(ctx context.Context, clk clock.Clock, kick <-chan struct{}, work func(context.Context)) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-kick:
		}
		start := clk.Now()
		work(ctx)
		if gap := Gap(clk.Since(start)); gap > 0 {
			select {
			case <-ctx.Done():
				return
			case <-clk.After(gap):
			}
		}
	}
}

// Every calls flush every interval on clk (nil: the real clock) until ctx
// ends, with a limiter of perSecond (burst 1) for flush to wait on before
// each write: the writes of all its calls together stay under perSecond.
func Every(ctx context.Context, clk clock.WithTicker, interval time.Duration, perSecond float64, flush func(context.Context, *rate.Limiter)) {
	if clk == nil {
		clk = clock.RealClock{}
	}
	limit := rate.NewLimiter(rate.Limit(perSecond), 1)
	t := clk.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			flush(ctx, limit)
		}
	}
}
