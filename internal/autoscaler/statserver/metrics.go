package statserver

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/wakefn/wake/internal/autoscaler/statauth"
)

// Reasons for dropping stats, the "reason" label of
// wake_autoscaler_stats_dropped_total.
const (
	// DropBadFrame: a line that is not a valid frame.
	DropBadFrame = "bad_frame"
	// DropFrameTooLong: a frame over statwire.MaxFrameBytes; the connection is
	// closed.
	DropFrameTooLong = "frame_too_long"
	// DropNoSource: a frame without src.
	DropNoSource = "no_source"
	// DropInvalidStat: an entry with negative or non-finite numbers or no
	// revision name.
	DropInvalidStat = "invalid_stat"
	// DropUnknownRevision: an entry for a revision that is not tracked.
	DropUnknownRevision = "unknown_revision"
	// DropWrongSource: a frame whose src is not the pod its connection's
	// token is bound to.
	DropWrongSource = "wrong_source"
	// DropRateLimited: a line over the connection's frame rate.
	DropRateLimited = "rate_limited"
	// DropNotAllowed: usage, request logs or metering in a frame of an
	// identity that may report stats only (Options.StatsOnly, the
	// dispatchers); the frame's stats are applied.
	DropNotAllowed = "not_allowed"
)

// Reasons for refusing or closing a connection, the "reason" label of
// wake_autoscaler_stats_connections_refused_total. The statauth.Reason*
// constants are reasons too.
const (
	// RefuseTooManyConnections: Options.MaxConnections are open.
	RefuseTooManyConnections = "too_many_connections"
	// RefuseTooManyUnauthenticated: Options.MaxUnauthenticated connections
	// are waiting for their auth line.
	RefuseTooManyUnauthenticated = "too_many_unauthenticated"
	// RefuseTooManySources: Options.MaxSources distinct pods are connected.
	RefuseTooManySources = "too_many_sources"
	// RefuseAuthTimeout: no auth line within Options.AuthTimeout.
	RefuseAuthTimeout = "auth_timeout"
	// RefuseNoAuth: the first line was not an auth line (a frame, garbage,
	// a line over statwire.MaxAuthBytes, or the end of the stream).
	RefuseNoAuth = "no_auth"
	// RefusePodChanged: a refreshed token is bound to another pod.
	RefusePodChanged = "pod_changed"
)

// refuseReasons are every reason of
// wake_autoscaler_stats_connections_refused_total.
var refuseReasons = []string{
	RefuseTooManyConnections, RefuseTooManyUnauthenticated, RefuseTooManySources, RefuseAuthTimeout, RefuseNoAuth, RefusePodChanged,
	statauth.ReasonInvalid, statauth.ReasonExpired, statauth.ReasonForbidden, statauth.ReasonUnavailable,
}

// metrics are the stat server's Prometheus collectors.
type metrics struct {
	frames      prometheus.Counter
	entries     prometheus.Counter
	pokes       prometheus.Counter
	dropped     *prometheus.CounterVec
	refused     *prometheus.CounterVec
	connections prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		frames: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wake_autoscaler_stat_frames_total",
			Help: "Stat frames received from activators and applied.",
		}),
		entries: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wake_autoscaler_stat_entries_total",
			Help: "Per-revision stat entries accepted.",
		}),
		pokes: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "wake_autoscaler_stat_pokes_total",
			Help: "Poke entries accepted (requests at zero).",
		}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wake_autoscaler_stats_dropped_total",
			Help: "Stat frames or entries dropped, by reason.",
		}, []string{"reason"}),
		refused: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "wake_autoscaler_stats_connections_refused_total",
			Help: "Stat connections refused or closed for failing authentication or a limit, by reason.",
		}, []string{"reason"}),
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wake_autoscaler_stat_connections",
			Help: "Open activator connections.",
		}),
	}
	for _, r := range []string{DropBadFrame, DropFrameTooLong, DropNoSource, DropInvalidStat, DropUnknownRevision, DropWrongSource, DropRateLimited, DropNotAllowed} {
		m.dropped.WithLabelValues(r) // export zeros, so rate() works from the start
	}
	for _, r := range refuseReasons {
		m.refused.WithLabelValues(r)
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.frames, m.entries, m.pokes, m.dropped, m.refused, m.connections} {
		if err := reg.Register(c); err != nil {
			var are prometheus.AlreadyRegisteredError
			if errors.As(err, &are) {
				return nil, fmt.Errorf("register stat server metrics (one Server per registry): %w", err)
			}
			return nil, fmt.Errorf("register stat server metrics: %w", err)
		}
	}
	return m, nil
}
