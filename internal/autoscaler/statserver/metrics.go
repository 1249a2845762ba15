package statserver

import (
	"errors"
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

// Reasons for dropping stats, the "reason" label of
// wake_autoscaler_stats_dropped_total.
const (
	// DropBadFrame: a line that is not a valid frame.
	DropBadFrame = "bad_frame"
	// DropFrameTooLong: a frame over stats.MaxFrameBytes; the connection is
	// closed.
	DropFrameTooLong = "frame_too_long"
	// DropNoSource: a frame without src.
	DropNoSource = "no_source"
	// DropInvalidStat: an entry with negative or non-finite numbers or no
	// revision name.
	DropInvalidStat = "invalid_stat"
	// DropUnknownRevision: an entry for a revision that is not tracked.
	DropUnknownRevision = "unknown_revision"
)

// metrics are the stat server's Prometheus collectors.
type metrics struct {
	frames      prometheus.Counter
	entries     prometheus.Counter
	pokes       prometheus.Counter
	dropped     *prometheus.CounterVec
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
		connections: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "wake_autoscaler_stat_connections",
			Help: "Open activator connections.",
		}),
	}
	for _, r := range []string{DropBadFrame, DropFrameTooLong, DropNoSource, DropInvalidStat, DropUnknownRevision} {
		m.dropped.WithLabelValues(r) // export zeros, so rate() works from the start
	}
	if reg == nil {
		return m, nil
	}
	for _, c := range []prometheus.Collector{m.frames, m.entries, m.pokes, m.dropped, m.connections} {
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
