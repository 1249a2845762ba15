package routeusage

import (
	"cmp"
	"context"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"golang.org/x/time/rate"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/pace"
	"github.com/wakefn/wake/internal/statwire"
)

// Defaults of the Writer.
const (
	// DefaultInterval is how often the changed Routes are written: a Route
	// is written at most once per interval.
	DefaultInterval = 10 * time.Second
	// DefaultWritesPerSecond bounds the status writes, over all Routes.
	DefaultWritesPerSecond = 20
)

// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes/status,verbs=get;patch

// Writer writes the Aggregator's sums to the Routes' status.usage: every
// Interval, the Routes whose counts changed, at most WritesPerSecond. Only
// the leader writes (NeedLeaderElection); every replica aggregates, so a
// new leader knows what came since it started.
type Writer struct {
	// Client reads Routes (from the cache) and patches their status.
	Client client.Client
	// Aggregator holds the sums.
	Aggregator *Aggregator
	// Clock says when now is; nil means the real clock.
	Clock clock.WithTicker
	// Interval and WritesPerSecond: zero means the defaults.
	Interval        time.Duration
	WritesPerSecond float64
	// Log records failed writes.
	Log logr.Logger
}

// NeedLeaderElection is true: one replica writes.
func (*Writer) NeedLeaderElection() bool { return true }

// Start writes until ctx ends.
func (w *Writer) Start(ctx context.Context) error {
	pace.Every(ctx, w.Clock, cmp.Or(w.Interval, DefaultInterval), cmp.Or(w.WritesPerSecond, DefaultWritesPerSecond),
		func(ctx context.Context, limit *rate.Limiter) { w.Flush(ctx, limit, w.now()) })
	return nil
}

// now reads the Writer's clock.
func (w *Writer) now() time.Time {
	if w.Clock != nil {
		return w.Clock.Now()
	}
	return time.Now()
}

// Flush writes every Route whose counts changed, waiting on limit (nil:
// none) before each write, and forgets the days status.usage no longer
// shows.
func (w *Writer) Flush(ctx context.Context, limit *rate.Limiter, now time.Time) {
	for day, routes := range w.Aggregator.Changed() {
		for _, rk := range routes {
			if limit != nil && limit.Wait(ctx) != nil {
				return
			}
			if err := w.write(ctx, day, rk); err != nil {
				w.Log.Error(err, "write route usage; trying again next interval", "route", rk, "day", day)
				w.Aggregator.markChanged(day, rk)
			}
		}
	}
	oldest := now.UTC().AddDate(0, 0, 1-servingv1alpha1.MaxUsageDays).Format(statwire.UsageDayFormat)
	w.Aggregator.Forget(oldest)
}

// write merges day's sums for route into its status.
func (w *Writer) write(ctx context.Context, day string, rk types.NamespacedName) error {
	rt := &servingv1alpha1.Route{}
	if err := w.Client.Get(ctx, rk, rt); err != nil {
		if apierrors.IsNotFound(err) {
			w.Aggregator.ForgetRoute(rk)
			return nil
		}
		return err
	}
	usage := Merge(rt.Status.Usage, day, w.Aggregator.Route(day, rk))
	if equality.Semantic.DeepEqual(usage, rt.Status.Usage) {
		return nil
	}
	patch := client.MergeFrom(rt.DeepCopy())
	rt.Status.Usage = usage
	return w.Client.Status().Patch(ctx, rt, patch)
}
