package stats

import (
	"context"
	"reflect"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/statwire"
)

// TestFlushSendsTheMeterAndWaits: Flush queues a last report and every
// frame of the meter's final counts, and returns once they were written
// to the stat server; with no stat server reachable it gives up when its
// context ends, saying how many frames were not sent.
func TestFlushSendsTheMeterAndWaits(t *testing.T) {
	ln := listen(t)
	final := []*statwire.Metering{
		{Epoch: 1, Mode: "request", WindowMillis: 60000, Entries: []statwire.MeterEntry{{Namespace: "n", Revision: "r-1", Start: 60000, Requests: 3}}},
		{Epoch: 1, Mode: "request", WindowMillis: 60000, Entries: []statwire.MeterEntry{{Namespace: "n", Revision: "r-2", Start: 60000, Requests: 4}}},
	}
	r := New(Options{Source: "act-1", Address: ln.Addr().String(), Clock: clocktesting.NewFakeClock(time.Unix(1000, 0)),
		FinalMetering: func() []*statwire.Metering { return final }})
	runReporter(t, r)
	_, frames := acceptFrames(t, ln)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if f := next(t, frames); f.Metering != nil || f.Stats == nil {
		t.Errorf("first frame %+v, want the last report", f)
	}
	for i, want := range final {
		f := next(t, frames)
		if f.Metering == nil || len(f.Metering.Entries) != 1 || !reflect.DeepEqual(f.Metering.Entries[0], want.Entries[0]) {
			t.Fatalf("frame %d carries %+v, want %+v", i, f.Metering, want)
		}
	}

	// Nowhere to send: Flush waits for its context, then says so.
	lonely := New(Options{Source: "act-2", Address: "127.0.0.1:1", FinalMetering: func() []*statwire.Metering { return final }})
	lonely.setTargets(context.Background(), []string{"127.0.0.1:1"})
	defer lonely.stopTargets()
	short, cancelShort := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancelShort()
	if err := lonely.Flush(short); err == nil {
		t.Error("Flush with no stat server reachable returned no error")
	}
}
