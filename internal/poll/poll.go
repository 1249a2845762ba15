// Package poll is Wake's one wait-for-a-condition loop, shared by tests,
// benchmarks and tools. A check returns nil once its condition holds, or an
// error that says what it saw instead; that error is what a timeout reports.
package poll

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// stopped marks a check's error as final.
type stopped struct{ err error }

func (s stopped) Error() string { return s.err.Error() }
func (s stopped) Unwrap() error { return s.err }

// Stop marks err as final: Until returns it at once instead of polling
// again. Stop(nil) is nil.
func Stop(err error) error {
	if err == nil {
		return nil
	}
	return stopped{err}
}

// Until calls check at once and then every interval until it returns nil,
// and returns how long that took. It gives up when ctx ends, returning an
// error that wraps check's last error, or when check returns an error
// marked with Stop, returning that error. check gets ctx, so a call that
// blocks ends with the wait; the error that call returns because the wait
// ended is not reported in place of what the check saw before.
func Until(ctx context.Context, interval time.Duration, check func(context.Context) error) (time.Duration, error) {
	start := time.Now()
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var last error
	for {
		err := check(ctx)
		if err == nil {
			return time.Since(start), nil
		}
		if s := (stopped{}); errors.As(err, &s) {
			return time.Since(start), s.err
		}
		if last == nil || !errors.Is(err, ctx.Err()) {
			last = err
		}
		select {
		case <-ctx.Done():
			return time.Since(start), fmt.Errorf("not true after %v: %w", time.Since(start).Round(time.Millisecond), last)
		case <-tick.C:
		}
	}
}

// Sleep waits d or until ctx ends, and reports whether d passed with ctx
// still live.
func Sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
