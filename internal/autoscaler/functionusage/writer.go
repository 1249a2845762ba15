package functionusage

import (
	"cmp"
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"golang.org/x/time/rate"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/pace"
)

// Defaults of the Writer.
const (
	// DefaultInterval is how often the Functions with new sums are
	// written: a Function is written at most once per interval.
	DefaultInterval = time.Minute
	// DefaultWritesPerSecond bounds the status writes, over all Functions.
	DefaultWritesPerSecond = 20
	// CollectInterval is how often the Writer takes the new records.
	CollectInterval = time.Second
)

// Records hands out the finalized usage records: meterrecords.Aggregator.
type Records interface {
	// Since returns the records after sequence number seq (0: all it
	// retains), oldest first, and the sequence number to ask from next.
	Since(seq uint64) ([]metering.Record, uint64)
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=functions/status,verbs=get;patch

// Writer adds the usage records to the Functions' status.usage (see the
// package doc). Only the leader runs it (NeedLeaderElection). A Writer is
// started once.
type Writer struct {
	// Client reads Functions (from the cache) and patches their status.
	Client client.Client
	// Records are the usage records.
	Records Records
	// Clock says when to collect and write; nil means the real clock.
	Clock clock.WithTicker
	// Interval and WritesPerSecond: zero means the defaults.
	Interval        time.Duration
	WritesPerSecond float64
	// Dropped, if set, counts the window sums dropped (NewDroppedCounter).
	Dropped prometheus.Counter
	// Log records failed writes.
	Log logr.Logger

	once    sync.Once
	pending *pending
	seqMu   sync.Mutex
	seq     uint64 // the records taken so far
}

// NeedLeaderElection is true: one replica writes.
func (*Writer) NeedLeaderElection() bool { return true }

// Start collects every CollectInterval and writes every Interval until ctx
// ends. Collecting goes on while a long flush waits on the write limit,
// so no record ages out of the aggregator meanwhile.
func (w *Writer) Start(ctx context.Context) error {
	clk := w.Clock
	if clk == nil {
		clk = clock.RealClock{}
	}
	var wg sync.WaitGroup
	defer wg.Wait()
	wg.Go(func() {
		t := clk.NewTicker(CollectInterval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C():
				w.Collect()
			}
		}
	})
	pace.Every(ctx, clk, cmp.Or(w.Interval, DefaultInterval), cmp.Or(w.WritesPerSecond, DefaultWritesPerSecond),
		func(ctx context.Context, limit *rate.Limiter) { w.Flush(ctx, limit) })
	return nil
}

// init makes the Writer's state on first use.
func (w *Writer) init() {
	w.once.Do(func() {
		w.pending = newPending(func(n int) {
			if w.Dropped != nil {
				w.Dropped.Add(float64(n))
			}
		})
	})
}

// Collect takes the records that came since the last call (on the first,
// all the Records retain) into the sums waiting to be written.
func (w *Writer) Collect() {
	w.init()
	w.seqMu.Lock()
	defer w.seqMu.Unlock()
	var recs []metering.Record
	recs, w.seq = w.Records.Since(w.seq)
	w.pending.add(recs)
}

// Flush writes every Function with sums waiting, waiting on limit (nil:
// none) before each write; what it could not write waits for the next
// call.
func (w *Writer) Flush(ctx context.Context, limit *rate.Limiter) {
	w.init()
	for _, fk := range w.pending.keys() {
		ws := w.pending.take(fk)
		if len(ws) == 0 {
			continue
		}
		err := w.write(ctx, limit, fk, ws)
		if err == nil {
			continue
		}
		w.pending.restore(fk, ws)
		switch {
		case ctx.Err() != nil:
			return
		case apierrors.IsConflict(err):
			// Another writer or a cache behind our last write: the next
			// interval reads it again.
			w.Log.V(1).Info("function usage write conflicted; trying again next interval", "function", fk)
		default:
			w.Log.Error(err, "write function usage; trying again next interval", "function", fk)
		}
	}
}

// write adds ws to fk's status.usage. A Function that is gone takes its
// sums with it. The patch carries the resourceVersion read, so that a
// status read from a cache that has not seen the last write conflicts
// instead of counting the windows after that write's countedThrough twice.
func (w *Writer) write(ctx context.Context, limit *rate.Limiter, fk types.NamespacedName, ws []Window) error {
	fn := &servingv1alpha1.Function{}
	if err := w.Client.Get(ctx, fk, fn); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("get function %s: %w", fk, err)
	}
	usage, changed := Merge(fn.Status.Usage, ws, fn.CreationTimestamp.Time)
	if !changed {
		return nil
	}
	if limit != nil {
		if err := limit.Wait(ctx); err != nil {
			return err
		}
	}
	patch := client.MergeFromWithOptions(fn.DeepCopy(), client.MergeFromWithOptimisticLock{})
	fn.Status.Usage = usage
	if err := w.Client.Status().Patch(ctx, fn, patch); err != nil {
		if apierrors.IsNotFound(err) {
			return nil
		}
		return fmt.Errorf("patch status.usage of function %s: %w", fk, err)
	}
	return nil
}
