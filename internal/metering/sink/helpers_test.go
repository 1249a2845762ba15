package sink

import (
	"context"
	"slices"
	"sync"
	"time"

	"github.com/wakefn/wake/internal/metering"
)

// t0 is the tests' start of time.
var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// testEvents returns n events of one key, windows a minute apart, so that
// each has its own ID.
func testEvents(n int) []metering.Event {
	k := metering.Key{Namespace: "team-a", Function: "resize", Revision: "resize-00001", Client: "acme"}
	out := make([]metering.Event, 0, n)
	for i := range n {
		start := t0.Add(time.Duration(i) * time.Minute)
		out = append(out, metering.EventOf(metering.Record{
			ID: metering.RecordID(k, start), Key: k, Mode: metering.ModeRequest,
			WindowStart: start, WindowEnd: start.Add(time.Minute),
			Requests: int64(i + 1), Units: int64(3 * (i + 1)), ActualMillis: int64(250 * (i + 1)),
			GBSeconds: 0.0384 * float64(i+1), VCPUSeconds: 0.075 * float64(i+1),
		}))
	}
	return out
}

// idsOf returns the IDs of evs, in order.
func idsOf(evs []metering.Event) []string {
	out := make([]string, 0, len(evs))
	for _, ev := range evs {
		out = append(out, ev.ID)
	}
	return out
}

// memSink is a Sink that keeps what it accepts in memory. Send number i
// (from 0) returns script[i], or nil past its end; while gate is open
// (non-nil and not closed), Send waits for it to close or ctx to end.
type memSink struct {
	script []error
	gate   chan struct{}

	mu       sync.Mutex
	calls    [][]string // the IDs of every batch Send got
	accepted []string   // the IDs of the events it returned nil for
}

func (s *memSink) Name() string { return "mem" }

func (s *memSink) Send(ctx context.Context, batch []metering.Event) error {
	s.mu.Lock()
	i := len(s.calls)
	s.calls = append(s.calls, idsOf(batch))
	s.mu.Unlock()
	if s.gate != nil {
		select {
		case <-s.gate:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	var err error
	if i < len(s.script) {
		err = s.script[i]
	}
	if err == nil {
		s.mu.Lock()
		s.accepted = append(s.accepted, idsOf(batch)...)
		s.mu.Unlock()
	}
	return err
}

// Calls returns the IDs of every batch Send got, in order.
func (s *memSink) Calls() [][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([][]string, len(s.calls))
	for i, c := range s.calls {
		out[i] = slices.Clone(c)
	}
	return out
}

// Accepted returns the IDs of the events accepted, in order.
func (s *memSink) Accepted() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.accepted)
}

// batchesOf returns the IDs of evs[from:to] for each [from, to) in spans.
func batchesOf(evs []metering.Event, spans ...[2]int) [][]string {
	out := make([][]string, 0, len(spans))
	for _, s := range spans {
		out = append(out, idsOf(evs[s[0]:s[1]]))
	}
	return out
}
