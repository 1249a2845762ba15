package sink

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/metering"
)

// Defaults of ExporterOptions.
const (
	// DefaultMaxQueue bounds the events an Exporter holds.
	DefaultMaxQueue = 100_000
	// DefaultMaxBatch bounds the events of one Send.
	DefaultMaxBatch = 500
	// DefaultFlushInterval is how often a partial batch is sent.
	DefaultFlushInterval = time.Second
	// DefaultMinBackoff and DefaultMaxBackoff bound the wait before a
	// failed batch is sent again.
	DefaultMinBackoff = 500 * time.Millisecond
	DefaultMaxBackoff = 30 * time.Second
)

// ExporterOptions configure an Exporter; a zero or negative number means
// its default.
type ExporterOptions struct {
	// Sink is where events go; required.
	Sink Sink
	// MaxQueue bounds the events held, the batch being sent included;
	// beyond it the oldest are dropped. Default DefaultMaxQueue.
	MaxQueue int
	// MaxBatch bounds the events of one Send; at most MaxQueue. Default
	// DefaultMaxBatch.
	MaxBatch int
	// FlushInterval is how often Run sends a partial batch: an event
	// waits at most this long (while the sink accepts). Default
	// DefaultFlushInterval.
	FlushInterval time.Duration
	// MinBackoff and MaxBackoff bound the wait before a failed batch is
	// sent again: MinBackoff, doubling with each failure up to
	// MaxBackoff, less up to half of it at random so that exporters that
	// failed together do not retry together. Defaults DefaultMinBackoff
	// and DefaultMaxBackoff.
	MinBackoff, MaxBackoff time.Duration
	// Clock times the flushes and the backoff; nil means the real clock.
	Clock clock.WithTicker
	// Log records refused batches, failed sends and the start of drops.
	Log logr.Logger
	// Metrics counts what happens to the events; nil counts nowhere.
	Metrics *Metrics
}

// Exporter delivers the events given to Add to one Sink: in order, in
// batches, retrying failed batches with backoff, holding at most MaxQueue
// events (see the package documentation). Call Run once; Add, Queued,
// Dropped and Flush may be called from any goroutine.
type Exporter struct {
	sink          Sink
	maxQueue      int
	maxBatch      int
	flushInterval time.Duration
	minBackoff    time.Duration
	maxBackoff    time.Duration
	clock         clock.WithTicker
	log           logr.Logger
	metrics       sinkMetrics
	jitter        func(n int64) int64 // a random number in [0, n)

	// full holds a token when a full batch is queued.
	full chan struct{}
	// sending holds a token while Run or Flush sends.
	sending chan struct{}
	dropped atomic.Uint64

	mu sync.Mutex
	// batch is the head of the queue: what is sent next, being sent
	// (inflight), or waiting to be sent again. Add drops from its front
	// when it is not in flight.
	batch    []metering.Event
	inflight bool
	// ring holds the rest, oldest first.
	ring ring
	// removed counts the events that left the queue (delivered, refused
	// or dropped), all from its head.
	removed uint64
	// overflowing is set from the first drop for a full queue until a
	// batch is delivered, so that an outage logs once.
	overflowing bool
}

// NewExporter returns an Exporter for o.Sink. It panics without a Sink.
func NewExporter(o ExporterOptions) *Exporter {
	if o.Sink == nil {
		panic("sink.NewExporter: no Sink")
	}
	maxQueue := positive(o.MaxQueue, DefaultMaxQueue)
	minBackoff := positive(o.MinBackoff, DefaultMinBackoff)
	m := o.Metrics
	if m == nil {
		m = NewMetrics(nil)
	}
	e := &Exporter{
		sink:          o.Sink,
		maxQueue:      maxQueue,
		maxBatch:      min(positive(o.MaxBatch, DefaultMaxBatch), maxQueue),
		flushInterval: positive(o.FlushInterval, DefaultFlushInterval),
		minBackoff:    minBackoff,
		maxBackoff:    max(positive(o.MaxBackoff, DefaultMaxBackoff), minBackoff),
		clock:         o.Clock,
		log:           o.Log.WithValues(LabelSink, o.Sink.Name()),
		metrics:       m.forSink(o.Sink.Name()),
		jitter:        rand.Int64N,
		full:          make(chan struct{}, 1),
		sending:       make(chan struct{}, 1),
	}
	if e.clock == nil {
		e.clock = clock.RealClock{}
	}
	return e
}

// positive returns v, or def if v is not positive.
func positive[T int | time.Duration](v, def T) T {
	if v <= 0 {
		return def
	}
	return v
}

// Add queues evs, in order, and never blocks. When the queue holds
// MaxQueue events, each new event drops the oldest one not being sent
// (counted, reason ReasonQueueFull); if every queued event is being sent,
// the new one is dropped instead.
func (e *Exporter) Add(evs ...metering.Event) {
	if len(evs) == 0 {
		return
	}
	e.mu.Lock()
	dropped := 0
	for i := range evs {
		if e.queuedLocked() >= e.maxQueue {
			dropped++
			if !e.dropOldestLocked() {
				continue
			}
		}
		e.ring.push(evs[i], e.maxQueue-len(e.batch))
	}
	startsOverflow := dropped > 0 && !e.overflowing
	e.overflowing = e.overflowing || dropped > 0
	queued := e.queuedLocked()
	e.metrics.queued.Set(float64(queued))
	e.mu.Unlock()

	if dropped > 0 {
		e.dropped.Add(uint64(dropped))
		e.metrics.queueFull.Add(float64(dropped))
		if startsOverflow {
			e.log.Info("metering queue full: dropping the oldest events until the sink catches up", "maxQueue", e.maxQueue)
		}
	}
	if queued >= e.maxBatch {
		select {
		case e.full <- struct{}{}:
		default:
		}
	}
}

// dropOldestLocked removes the oldest event not being sent, and reports
// whether there was one.
func (e *Exporter) dropOldestLocked() bool {
	switch {
	case len(e.batch) > 0 && !e.inflight:
		e.batch[0] = metering.Event{}
		e.batch = e.batch[1:]
	case e.ring.count() > 0:
		e.ring.pop()
	default:
		return false
	}
	e.removed++
	return true
}

// Queued returns the number of events held, the batch being sent included.
func (e *Exporter) Queued() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.queuedLocked()
}

// queuedLocked is Queued with e.mu held.
func (e *Exporter) queuedLocked() int { return len(e.batch) + e.ring.count() }

// Dropped returns the number of events lost so far, for either reason.
func (e *Exporter) Dropped() uint64 { return e.dropped.Load() }
