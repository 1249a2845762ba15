package statserver

import (
	"errors"
	"io"
	"net"
	"time"

	"github.com/go-logr/logr"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/stats"
)

// handle reads frames from one activator connection until it ends.
func (s *Server) handle(log logr.Logger, conn net.Conn) {
	log = log.WithValues("remote", conn.RemoteAddr().String())
	log.V(1).Info("Activator connected")
	r := stats.NewReader(conn)
	var src string
	for {
		// Deadlines are wall-clock by nature; the idle timeout only reaps
		// dead peers, the collector's expiry is what the decisions see.
		if err := conn.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout)); err != nil {
			log.V(1).Info("Activator connection closed", "source", src, "error", err.Error())
			return
		}
		f, err := r.Next()
		var syntax *stats.SyntaxError
		switch {
		case err == nil:
			if f.Source != "" && f.Source != src {
				src = f.Source
				log = log.WithValues("source", src)
			}
			s.apply(log, f)
		case errors.As(err, &syntax):
			s.metrics.dropped.WithLabelValues(DropBadFrame).Inc()
			log.V(1).Info("Dropped a stat frame that does not parse", "error", err.Error())
		case errors.Is(err, stats.ErrFrameTooLong):
			s.metrics.dropped.WithLabelValues(DropFrameTooLong).Inc()
			log.Info("Closing an activator connection that sent a frame over the limit", "limit", stats.MaxFrameBytes)
			return
		case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			log.V(1).Info("Activator disconnected")
			return
		default:
			log.Info("Closing an activator connection", "error", err.Error())
			return
		}
	}
}

// apply hands a frame to the collector and counts what it dropped.
func (s *Server) apply(log logr.Logger, f stats.Frame) {
	res, err := s.opts.Collector.Apply(s.opts.Clock.Now(), f, s.opts.Known)
	if errors.Is(err, collector.ErrNoSource) {
		s.metrics.dropped.WithLabelValues(DropNoSource).Inc()
		log.V(1).Info("Dropped a stat frame without a source")
		return
	}
	s.metrics.frames.Inc()
	s.metrics.entries.Add(float64(res.Accepted))
	if res.Invalid > 0 {
		s.metrics.dropped.WithLabelValues(DropInvalidStat).Add(float64(res.Invalid))
		log.V(1).Info("Dropped invalid stat entries", "count", res.Invalid)
	}
	if res.Unknown > 0 {
		s.metrics.dropped.WithLabelValues(DropUnknownRevision).Add(float64(res.Unknown))
		log.V(1).Info("Dropped stat entries for unknown revisions", "count", res.Unknown)
	}
	for _, key := range res.Pokes {
		s.metrics.pokes.Inc()
		if s.opts.OnPoke != nil {
			s.opts.OnPoke(key)
		}
	}
}
