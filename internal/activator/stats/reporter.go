package stats

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	wire "github.com/wakefn/wake/internal/stats"
)

// Config configures a Reporter.
type Config struct {
	// Source is this activator's pod name, the frames' "src".
	Source string
	// Address is the autoscaler's stat server, host:port.
	Address string
	// Clock is the time source; nil means the real clock.
	Clock clock.WithTicker
	// BufferFrames bounds the frames waiting to be sent; default 64.
	BufferFrames int
	// DialTimeout bounds one connection attempt; default 2s.
	DialTimeout time.Duration
	// WriteTimeout bounds writing one frame; default 5s.
	WriteTimeout time.Duration
	// Logger receives connection changes.
	Logger logr.Logger
}

// Reporter measures and reports per-revision stats. Create with New, start
// with Run.
type Reporter struct {
	cfg   Config
	clock clock.WithTicker
	log   logr.Logger

	mu   sync.RWMutex
	revs map[types.NamespacedName]*revision

	buf     *ring
	dropped atomic.Uint64
	sent    atomic.Uint64
}

// New returns a Reporter; it measures at once and sends once Run runs.
func New(cfg Config) *Reporter {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.BufferFrames <= 0 {
		cfg.BufferFrames = 64
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	return &Reporter{
		cfg:   cfg,
		clock: cfg.Clock,
		log:   cfg.Logger,
		revs:  make(map[types.NamespacedName]*revision),
		buf:   newRing(cfg.BufferFrames),
	}
}

// Dropped returns the number of frames dropped because the buffer was full
// or a write failed.
func (r *Reporter) Dropped() uint64 { return r.dropped.Load() }

// Sent returns the number of frames written to a connection.
func (r *Reporter) Sent() uint64 { return r.sent.Load() }

// Poke sends a poke frame for key at once. It has the signature of the
// throttler's Config.OnColdStart and never blocks.
func (r *Reporter) Poke(key types.NamespacedName) {
	r.enqueue(wire.Frame{
		Source:    r.cfg.Source,
		Timestamp: r.clock.Now().UnixMilli(),
		Stats:     []wire.Stat{{Namespace: key.Namespace, Revision: key.Name, RequestCount: 1, Poke: true}},
	})
}

// Run reports every wire.Period and sends frames until ctx ends.
func (r *Reporter) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.send(ctx)
	}()
	t := r.clock.NewTicker(wire.Period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case now := <-t.C():
			if f, ok := r.Report(now); ok {
				r.enqueue(f)
			}
		}
	}
}

// Report cuts the period ending at now into a frame; ok is false when no
// revision had traffic. Run calls it every period; tests may call it.
func (r *Reporter) Report(now time.Time) (f wire.Frame, ok bool) {
	f = wire.Frame{Source: r.cfg.Source, Timestamp: now.UnixMilli()}
	var idle []types.NamespacedName
	r.mu.RLock()
	for key, rev := range r.revs {
		rev.mu.Lock()
		avg, n := rev.cut(now, wire.Period)
		busy := rev.inflight > 0
		rev.mu.Unlock()
		if avg == 0 && n == 0 {
			if !busy {
				idle = append(idle, key)
			}
			continue
		}
		f.Stats = append(f.Stats, wire.Stat{Namespace: key.Namespace, Revision: key.Name, AverageConcurrency: avg, RequestCount: float64(n)})
	}
	r.mu.RUnlock()
	if len(idle) > 0 {
		r.mu.Lock()
		for _, key := range idle {
			rev := r.revs[key]
			rev.mu.Lock()
			if rev.refs == 0 && rev.arrivals == 0 {
				delete(r.revs, key)
			}
			rev.mu.Unlock()
		}
		r.mu.Unlock()
	}
	return f, len(f.Stats) > 0
}

func (r *Reporter) enqueue(f wire.Frame) {
	if r.buf.push(f) {
		r.dropped.Add(1)
	}
}
