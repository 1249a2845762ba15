// Package routelogs keeps the Routes' request log lines (policies.logs)
// that the activators send with their stats frames, and writes each
// Route's latest lines to the ConfigMap "<route>-wake-logs" in the Route's
// namespace (servingv1alpha1.LogsConfigMapName), where the Route's owner
// reads them with the namespace's own permissions:
//
//	kubectl get configmap api-wake-logs -o jsonpath='{.data.lines}'
//
// Only the leader keeps and writes lines (a standby drops them, not
// counted). What the activators can make it hold is bounded: at most
// MaxPendingLines lines wait to be written, over all Routes; more are
// dropped and counted. A ConfigMap holds the MaxLines latest lines, at
// most MaxBytes.
package routelogs

import (
	"cmp"
	"context"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/pace"
	"github.com/wakefn/wake/internal/statwire"
)

// Bounds.
const (
	// MaxLines and MaxBytes bound a Route's ConfigMap: its latest lines.
	MaxLines = 200
	MaxBytes = 256 << 10
	// MaxPendingLines bounds the lines waiting to be written.
	MaxPendingLines = 20000
	// DataKey is the ConfigMap key of the lines, one JSON object per line,
	// oldest first.
	DataKey = "lines"
	// LabelRoute marks a logs ConfigMap with its Route's name.
	LabelRoute = "serving.wake.dev/route-logs"
)

// Store holds the lines waiting to be written, per Route.
type Store struct {
	active  atomic.Bool
	mu      sync.Mutex
	pending map[types.NamespacedName][]string
	n       int
	dropped atomic.Uint64
}

// NewStore returns an empty Store that keeps nothing until Activate.
func NewStore() *Store { return &Store{pending: map[types.NamespacedName][]string{}} }

// Activate makes the Store keep lines: this replica leads.
func (s *Store) Activate() { s.active.Store(true) }

// Apply takes the log lines of one frame.
func (s *Store) Apply(_ string, lines []statwire.LogLine) {
	if !s.active.Load() || len(lines) == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, l := range lines {
		if l.Namespace == "" || l.Route == "" || l.Line == "" || len(l.Line) > MaxBytes || strings.ContainsAny(l.Line, "\n\r") ||
			s.n >= MaxPendingLines {
			s.dropped.Add(1)
			continue
		}
		k := types.NamespacedName{Namespace: l.Namespace, Name: l.Route}
		s.pending[k] = append(s.pending[k], l.Line)
		s.n++
	}
}

// take removes and returns the pending lines, per Route.
func (s *Store) take() map[types.NamespacedName][]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.pending
	s.pending, s.n = map[types.NamespacedName][]string{}, 0
	return out
}

// DroppedCounter is wake_autoscaler_route_log_lines_dropped_total.
func (s *Store) DroppedCounter() prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "wake_autoscaler_route_log_lines_dropped_total",
		Help: "Request log lines from the activators dropped by the leader: malformed, or over the lines waiting to be written.",
	}, func() float64 { return float64(s.dropped.Load()) })
}

// Defaults of the Writer.
const (
	DefaultInterval        = 10 * time.Second
	DefaultWritesPerSecond = 20
)

// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;create;update
// +kubebuilder:rbac:groups=serving.wake.dev,resources=routes,verbs=get;list;watch

// Writer writes the Store's lines to the Routes' logs ConfigMaps: every
// Interval, each Route with new lines once, at most WritesPerSecond in all.
// It runs on the leader only, and activates the Store when it starts.
type Writer struct {
	// Client reads Routes (from the cache) and writes ConfigMaps.
	Client client.Client
	// Reader reads ConfigMaps from the API server (tenants' ConfigMaps
	// are not cached).
	Reader client.Reader
	// Store holds the lines.
	Store *Store
	// Clock: nil means the real clock.
	Clock clock.WithTicker
	// Interval and WritesPerSecond: zero means the defaults.
	Interval        time.Duration
	WritesPerSecond float64
	// Log records failed writes.
	Log logr.Logger
}

// NeedLeaderElection is true: the leader writes.
func (*Writer) NeedLeaderElection() bool { return true }

// Start activates the Store and writes until ctx ends.
func (w *Writer) Start(ctx context.Context) error {
	w.Store.Activate()
	pace.Every(ctx, w.Clock, cmp.Or(w.Interval, DefaultInterval), cmp.Or(w.WritesPerSecond, DefaultWritesPerSecond), w.Flush)
	return nil
}

// Flush writes the pending lines of every Route, waiting on limit (nil:
// none) before each write.
func (w *Writer) Flush(ctx context.Context, limit *rate.Limiter) {
	pending := w.Store.take()
	keys := make([]types.NamespacedName, 0, len(pending))
	for k := range pending {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return keys[i].String() < keys[j].String() })
	for _, k := range keys {
		if limit != nil && limit.Wait(ctx) != nil {
			return
		}
		if err := w.write(ctx, k, pending[k]); err != nil {
			w.Log.Error(err, "write route logs; their lines are dropped", "route", k, "lines", len(pending[k]))
			w.Store.dropped.Add(uint64(len(pending[k])))
		}
	}
}

// write appends lines to route's ConfigMap, keeping the latest.
func (w *Writer) write(ctx context.Context, route types.NamespacedName, lines []string) error {
	rt := &servingv1alpha1.Route{}
	if err := w.Client.Get(ctx, route, rt); err != nil {
		if apierrors.IsNotFound(err) {
			return nil // deleted: its ConfigMap goes with it
		}
		return err
	}
	key := types.NamespacedName{Namespace: route.Namespace, Name: servingv1alpha1.LogsConfigMapName(route.Name)}
	cm := &corev1.ConfigMap{}
	err := w.Reader.Get(ctx, key, cm)
	switch {
	case apierrors.IsNotFound(err):
		cm = &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{
			Namespace: key.Namespace, Name: key.Name,
			Labels: map[string]string{LabelRoute: route.Name},
			OwnerReferences: []metav1.OwnerReference{{
				APIVersion: servingv1alpha1.GroupVersion.String(), Kind: "Route", Name: rt.Name, UID: rt.UID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(false),
			}},
		}, Data: map[string]string{DataKey: Latest("", lines)}}
		return w.Client.Create(ctx, cm)
	case err != nil:
		return err
	}
	if !metav1.IsControlledBy(cm, rt) {
		return &NotOwnedError{Name: key.Name}
	}
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
	cm.Data[DataKey] = Latest(cm.Data[DataKey], lines)
	return w.Client.Update(ctx, cm)
}

// NotOwnedError reports a ConfigMap of the logs' name that the Route does
// not control: Wake leaves it alone.
type NotOwnedError struct{ Name string }

func (e *NotOwnedError) Error() string {
	return "ConfigMap " + e.Name + " exists and is not the Route's: its log lines are not written"
}

// Latest returns the lines of old (newline-separated) followed by lines,
// cut to the MaxLines latest and at most MaxBytes.
func Latest(old string, lines []string) string {
	var all []string
	if old != "" {
		all = strings.Split(strings.TrimSuffix(old, "\n"), "\n")
	}
	all = append(all, lines...)
	if len(all) > MaxLines {
		all = all[len(all)-MaxLines:]
	}
	size := 0
	first := len(all)
	for first > 0 && size+len(all[first-1])+1 <= MaxBytes {
		first--
		size += len(all[first]) + 1
	}
	if first == len(all) {
		return ""
	}
	return strings.Join(all[first:], "\n") + "\n"
}
