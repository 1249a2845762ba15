package poll

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

func TestUntil(t *testing.T) {
	errNotYet := errors.New("saw 1, want 3")
	errBroken := errors.New("broken")
	tests := []struct {
		name      string
		results   []error // returned by successive calls; the last repeats
		timeout   time.Duration
		wantErr   error
		wantCalls int
	}{
		{name: "holds at once", results: []error{nil}, timeout: time.Second, wantCalls: 1},
		{name: "holds on the third call", results: []error{errNotYet, errNotYet, nil}, timeout: 10 * time.Second, wantCalls: 3},
		{name: "never holds: the last error is wrapped", results: []error{errNotYet}, timeout: 20 * time.Millisecond, wantErr: errNotYet},
		{name: "a stopped error ends the wait at once", results: []error{errNotYet, Stop(errBroken)}, timeout: 10 * time.Second, wantErr: errBroken, wantCalls: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), tt.timeout)
			defer cancel()
			calls := 0
			_, err := Until(ctx, time.Millisecond, func(context.Context) error {
				calls++
				return tt.results[min(calls, len(tt.results))-1]
			})
			if !errors.Is(err, tt.wantErr) || (tt.wantErr == nil) != (err == nil) {
				t.Fatalf("Until() = %v, want %v", err, tt.wantErr)
			}
			if tt.wantCalls != 0 && calls != tt.wantCalls {
				t.Errorf("check called %d times, want %d", calls, tt.wantCalls)
			}
			var s stopped
			if errors.As(err, &s) {
				t.Errorf("Until() returned the Stop marker %v; want the error it wraps", err)
			}
		})
	}
}

func TestUntilTimeoutSaysWhatItSaw(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err := Until(ctx, time.Millisecond, func(context.Context) error { return errors.New("replicas 0, want 1") })
	if err == nil || !strings.Contains(err.Error(), "replicas 0, want 1") || !strings.Contains(err.Error(), "not true after") {
		t.Fatalf("Until() = %v; want the timeout and the check's last error", err)
	}
}

func TestUntilKeepsWhatItSawBeforeTheWaitEnded(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := Until(ctx, time.Millisecond, func(ctx context.Context) error {
		if ctx.Err() != nil {
			return ctx.Err() // a call cut short by the end of the wait
		}
		return errors.New("replicas 0, want 1")
	})
	if err == nil || !strings.Contains(err.Error(), "replicas 0, want 1") {
		t.Fatalf("Until() = %v; want the check's last error from before the wait ended", err)
	}
}

func TestStopNil(t *testing.T) {
	if err := Stop(nil); err != nil {
		t.Fatalf("Stop(nil) = %v, want nil", err)
	}
}

func TestSleep(t *testing.T) {
	if !Sleep(context.Background(), time.Millisecond) {
		t.Error("Sleep on a live context = false, want true")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	start := time.Now()
	if Sleep(ctx, time.Hour) {
		t.Error("Sleep on an ended context = true, want false")
	}
	if d := time.Since(start); d > time.Minute {
		t.Errorf("Sleep on an ended context took %v", d)
	}
}
