package sink

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/testutil"
)

// wait is how long a test waits for a goroutine to get somewhere; no test
// waits that long unless it fails.
const wait = 10 * time.Second

// errDown is a retryable failure of a sink.
var errDown = errors.New("sink down")

// flushAsync runs Flush in a goroutine and returns where its error goes.
func flushAsync(ctx context.Context, e *Exporter) <-chan error {
	errc := make(chan error, 1)
	go func() { errc <- e.Flush(ctx) }()
	return errc
}

// flush flushes e, giving up after wait (a test that expects a backoff
// steps the clock through it; one that does not must not hang).
func flush(e *Exporter) error {
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	return e.Flush(ctx)
}

// receive returns what errc gets, failing t if that takes longer than wait.
func receive(t *testing.T, errc <-chan error) error {
	t.Helper()
	select {
	case err := <-errc:
		return err
	case <-time.After(wait):
		t.Fatal("timed out")
		return nil
	}
}

// runAsync runs e.Run until the test ends or cancel is called, and returns
// a channel closed when Run returned.
func runAsync(t *testing.T, e *Exporter) (cancel func(), done <-chan struct{}) {
	ctx, cancel := context.WithCancel(context.Background())
	d := make(chan struct{})
	go func() { defer close(d); e.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-d })
	return cancel, d
}

// waiters waits until clk has n waiters: Run's ticker, a backoff timer.
func waiters(t *testing.T, clk *clocktesting.FakeClock, n int) {
	t.Helper()
	testutil.Eventually(t, wait, "clock waiters", func() bool { return clk.Waiters() == n })
}

// calls waits until s got n batches.
func calls(t *testing.T, s *memSink, n int) {
	t.Helper()
	testutil.Eventually(t, wait, "Send calls", func() bool { return len(s.Calls()) == n })
}

// TestFlushBatches: Flush sends what is queued in batches of at most
// MaxBatch, in order.
func TestFlushBatches(t *testing.T) {
	tests := []struct {
		name     string
		maxQueue int
		maxBatch int
		n        int
		want     [][2]int
	}{
		{name: "nothing", maxBatch: 3},
		{name: "full batches and a partial one", maxBatch: 3, n: 7, want: [][2]int{{0, 3}, {3, 6}, {6, 7}}},
		{name: "one full batch", maxBatch: 5, n: 5, want: [][2]int{{0, 5}}},
		{name: "default batch", n: 501, want: [][2]int{{0, 500}, {500, 501}}},
		{name: "batch bounded by the queue", maxQueue: 4, maxBatch: 10, n: 4, want: [][2]int{{0, 4}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := &memSink{}
			e := NewExporter(ExporterOptions{Sink: s, MaxQueue: tc.maxQueue, MaxBatch: tc.maxBatch, Clock: clocktesting.NewFakeClock(t0)})
			evs := testEvents(tc.n)
			e.Add(evs...)
			if err := flush(e); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if d := cmp.Diff(batchesOf(evs, tc.want...), s.Calls()); d != "" {
				t.Errorf("batches (-want +got):\n%s", d)
			}
			if q := e.Queued(); q != 0 {
				t.Errorf("Queued = %d after Flush, want 0", q)
			}
		})
	}
}

// TestRunSendsFullBatchesAtOnceAndTheRestOnTheTick.
func TestRunSendsFullBatchesAtOnceAndTheRestOnTheTick(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	s := &memSink{}
	e := NewExporter(ExporterOptions{Sink: s, MaxBatch: 3, FlushInterval: time.Second, Clock: clk})
	runAsync(t, e)
	waiters(t, clk, 1)
	evs := testEvents(7)
	e.Add(evs...)
	testutil.Eventually(t, wait, "two full batches accepted", func() bool { return len(s.Accepted()) == 6 })
	if q := e.Queued(); q != 1 {
		t.Errorf("Queued = %d before the tick, want 1", q)
	}
	clk.Step(time.Second)
	testutil.Eventually(t, wait, "the rest accepted", func() bool { return len(s.Accepted()) == 7 })
	if d := cmp.Diff(batchesOf(evs, [2]int{0, 3}, [2]int{3, 6}, [2]int{6, 7}), s.Calls()); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
}

// TestRunRetriesInOrder: a batch that fails twice is sent again after the
// backoff, and every event is accepted once, in order.
func TestRunRetriesInOrder(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	s := &memSink{script: []error{errDown, errDown}}
	e := NewExporter(ExporterOptions{Sink: s, MaxBatch: 2, FlushInterval: time.Hour,
		MinBackoff: 500 * time.Millisecond, MaxBackoff: 2 * time.Second, Clock: clk})
	runAsync(t, e)
	waiters(t, clk, 1)
	evs := testEvents(5)
	e.Add(evs...)
	for i := 1; i <= 2; i++ {
		calls(t, s, i)
		waiters(t, clk, 2) // the ticker and the backoff
		if got := len(s.Calls()); got != i {
			t.Fatalf("%d Send calls before the backoff ended, want %d", got, i)
		}
		clk.Step(2 * time.Second)
	}
	testutil.Eventually(t, wait, "full batches accepted", func() bool { return len(s.Accepted()) == 4 })
	clk.Step(time.Hour)
	testutil.Eventually(t, wait, "all accepted", func() bool { return len(s.Accepted()) == 5 })
	if d := cmp.Diff(idsOf(evs), s.Accepted()); d != "" {
		t.Errorf("accepted (-sent +got):\n%s", d)
	}
	want := batchesOf(evs, [2]int{0, 2}, [2]int{0, 2}, [2]int{0, 2}, [2]int{2, 4}, [2]int{4, 5})
	if d := cmp.Diff(want, s.Calls()); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
	if n := e.Dropped(); n != 0 {
		t.Errorf("Dropped = %d, want 0", n)
	}
}

// TestFlushDropsARefusedBatch: a Permanent error drops the batch, counted,
// and the next batch goes.
func TestFlushDropsARefusedBatch(t *testing.T) {
	s := &memSink{script: []error{Permanent(errors.New("400 Bad Request"))}}
	e := NewExporter(ExporterOptions{Sink: s, MaxBatch: 2, Clock: clocktesting.NewFakeClock(t0)})
	evs := testEvents(4)
	e.Add(evs...)
	if err := flush(e); err != nil {
		t.Fatalf("Flush: %v", err)
	}
	if d := cmp.Diff(batchesOf(evs, [2]int{0, 2}, [2]int{2, 4}), s.Calls()); d != "" {
		t.Errorf("batches (-want +got):\n%s", d)
	}
	if d := cmp.Diff(idsOf(evs[2:]), s.Accepted()); d != "" {
		t.Errorf("accepted (-want +got):\n%s", d)
	}
	if n := e.Dropped(); n != 2 {
		t.Errorf("Dropped = %d, want 2", n)
	}
}

// TestQueueFullDropsTheOldest: beyond MaxQueue the oldest events not being
// sent go, whether they wait in the queue, in a batch waiting to be sent
// again, or (when all are being sent) are the new ones.
func TestQueueFullDropsTheOldest(t *testing.T) {
	tests := []struct {
		name               string
		maxQueue, maxBatch int
		script             []error // what the sink returns
		gated              bool    // the first Send waits until released
		first, during      int     // events added before Flush, and while its first batch is out
		wantDropped        uint64
		wantLeft           int      // queued after the first Flush
		wantCalls          [][2]int // over the first Flush and a second
	}{
		{
			name: "before sending", maxQueue: 3, maxBatch: 2, first: 5,
			wantDropped: 2, wantCalls: [][2]int{{2, 4}, {4, 5}},
		},
		{
			name: "while a batch is sent", maxQueue: 3, maxBatch: 2, gated: true, first: 3, during: 2,
			wantDropped: 2, wantLeft: 1, wantCalls: [][2]int{{0, 2}, {4, 5}},
		},
		{
			name: "while everything is sent", maxQueue: 2, maxBatch: 2, gated: true, first: 2, during: 2,
			wantDropped: 2, wantCalls: [][2]int{{0, 2}},
		},
		{
			name: "while a batch waits to be sent again", maxQueue: 4, maxBatch: 2, script: []error{errDown}, first: 4, during: 2,
			wantDropped: 2, wantLeft: 2, wantCalls: [][2]int{{0, 2}, {2, 4}, {4, 6}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(t0)
			s := &memSink{script: tc.script}
			if tc.gated {
				s.gate = make(chan struct{})
			}
			e := NewExporter(ExporterOptions{Sink: s, MaxQueue: tc.maxQueue, MaxBatch: tc.maxBatch, MaxBackoff: time.Second, Clock: clk})
			evs := testEvents(tc.first + tc.during)
			e.Add(evs[:tc.first]...)
			errc := flushAsync(context.Background(), e)
			if tc.during > 0 {
				calls(t, s, 1)
				if len(tc.script) > 0 {
					waiters(t, clk, 1) // the backoff
				}
				e.Add(evs[tc.first:]...)
			}
			if n := e.Dropped(); n != tc.wantDropped {
				t.Errorf("Dropped = %d, want %d", n, tc.wantDropped)
			}
			if tc.gated {
				close(s.gate)
			}
			clk.Step(time.Second) // end a backoff
			if err := receive(t, errc); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if q := e.Queued(); q != tc.wantLeft {
				t.Errorf("Queued = %d after Flush, want %d", q, tc.wantLeft)
			}
			if err := flush(e); err != nil {
				t.Fatalf("second Flush: %v", err)
			}
			if d := cmp.Diff(batchesOf(evs, tc.wantCalls...), s.Calls()); d != "" {
				t.Errorf("batches (-want +got):\n%s", d)
			}
			if n := e.Dropped(); n != tc.wantDropped {
				t.Errorf("Dropped = %d at the end, want %d", n, tc.wantDropped)
			}
		})
	}
}

// TestFlushGivesUpWhenTheContextEnds and says how many events are left.
func TestFlushGivesUpWhenTheContextEnds(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	s := &memSink{script: []error{errDown}}
	e := NewExporter(ExporterOptions{Sink: s, MaxBatch: 2, Clock: clk})
	e.Add(testEvents(3)...)
	ctx, cancel := context.WithCancel(context.Background())
	errc := flushAsync(ctx, e)
	calls(t, s, 1)
	waiters(t, clk, 1)
	cancel()
	err := receive(t, errc)
	if !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "3 events still queued") {
		t.Errorf("Flush: %v, want context.Canceled and 3 events still queued", err)
	}
	if q := e.Queued(); q != 3 {
		t.Errorf("Queued = %d, want 3", q)
	}
	if n := clk.Waiters(); n != 0 {
		t.Errorf("%d clock waiters left, want 0 (the backoff timer stopped)", n)
	}
}

// TestRunStops when its context ends, wherever it is, leaving what it did
// not deliver for Flush.
func TestRunStops(t *testing.T) {
	tests := []struct {
		name   string
		script []error
		gated  bool
		add    int
		// wait returns once Run is where the test stops it.
		wait func(t *testing.T, clk *clocktesting.FakeClock, s *memSink)
	}{
		{name: "idle", wait: func(*testing.T, *clocktesting.FakeClock, *memSink) {}},
		{name: "in a backoff", script: []error{errDown}, add: 2, wait: func(t *testing.T, clk *clocktesting.FakeClock, s *memSink) {
			calls(t, s, 1)
			waiters(t, clk, 2)
		}},
		{name: "in a Send", gated: true, add: 2, wait: func(t *testing.T, _ *clocktesting.FakeClock, s *memSink) {
			calls(t, s, 1)
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := clocktesting.NewFakeClock(t0)
			s := &memSink{script: tc.script}
			if tc.gated {
				s.gate = make(chan struct{})
			}
			reg := prometheus.NewRegistry()
			e := NewExporter(ExporterOptions{Sink: s, MaxBatch: 2, Clock: clk, Metrics: NewMetrics(reg)})
			cancel, done := runAsync(t, e)
			waiters(t, clk, 1)
			evs := testEvents(tc.add)
			e.Add(evs...)
			tc.wait(t, clk, s)
			cancel()
			select {
			case <-done:
			case <-time.After(wait):
				t.Fatal("Run did not return after its context ended")
			}
			// The fake ticker's Stop leaves it among the waiters: at most
			// it is left, not the backoff timer.
			if n := clk.Waiters(); n > 1 {
				t.Errorf("%d clock waiters left, want at most the ticker", n)
			}
			if q := e.Queued(); q != tc.add {
				t.Errorf("Queued = %d, want %d", q, tc.add)
			}
			if s.gate != nil {
				close(s.gate)
			}
			if err := flush(e); err != nil {
				t.Fatalf("Flush: %v", err)
			}
			if d := cmp.Diff(idsOf(evs), s.Accepted(), cmpopts.EquateEmpty()); d != "" {
				t.Errorf("accepted (-sent +got):\n%s", d)
			}
			failures, _ := testutil.MetricValue(t, reg, MetricFailures, map[string]string{LabelSink: "mem"})
			if failures != float64(len(tc.script)) {
				t.Errorf("failures = %v, want %d (a Send cut off by shutdown is not one)", failures, len(tc.script))
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	least := func(int64) int64 { return 0 }
	most := func(n int64) int64 { return n - 1 }
	lo, hi := 500*time.Millisecond, 30*time.Second
	tests := []struct {
		attempt int
		rnd     func(int64) int64
		want    time.Duration
	}{
		{0, least, lo},
		{0, most, lo},
		{1, least, time.Second},
		{1, most, 500 * time.Millisecond},
		{2, least, 2 * time.Second},
		{2, most, time.Second},
		{5, least, 16 * time.Second},
		{6, least, hi},
		{6, most, hi / 2},
		{1000, least, hi},
	}
	for _, tc := range tests {
		if got := backoff(tc.attempt, lo, hi, tc.rnd); got != tc.want {
			t.Errorf("backoff(%d) = %v, want %v", tc.attempt, got, tc.want)
		}
	}
}
