package statserver

import (
	"context"
	"errors"
	"io"
	"net"
	"slices"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/time/rate"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/statwire"
)

// handle authenticates one activator connection, then reads its frames
// until it ends.
func (s *Server) handle(ctx context.Context, log logr.Logger, conn net.Conn) {
	log = log.WithValues("remote", conn.RemoteAddr().String())
	r := statwire.NewReader(conn)
	id, reason, err := s.authenticate(ctx, conn, r)
	if reason == "" {
		reason = s.authenticated(conn, id.Pod)
	}
	if reason != "" {
		s.refuse(log, reason, err)
		return
	}
	log = log.WithValues("source", id.Pod)
	log.V(1).Info("activator connected")
	r.SetLimit(statwire.MaxFrameBytes)
	limit := rate.NewLimiter(rate.Limit(s.opts.FrameRate), s.opts.FrameBurst)
	for {
		// Deadlines are wall-clock by nature; the idle timeout only reaps
		// dead peers, the collector's expiry is what the decisions see.
		if err := conn.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout)); err != nil {
			log.V(1).Info("activator connection closed", "error", err.Error())
			return
		}
		f, err := r.Next()
		var syntax *statwire.SyntaxError
		switch {
		case err == nil || errors.As(err, &syntax):
			if !s.line(ctx, log, &id, limit, f, err) {
				return
			}
		case errors.Is(err, statwire.ErrFrameTooLong):
			s.metrics.dropped.WithLabelValues(DropFrameTooLong).Inc()
			log.Info("closing an activator connection that sent a frame over the limit", "limit", statwire.MaxFrameBytes)
			return
		case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed):
			log.V(1).Info("activator disconnected")
			return
		default:
			log.Info("closing an activator connection", "error", err.Error())
			return
		}
	}
}

// line handles one whole line from an authenticated connection: a frame,
// an auth line, or one that does not parse (err). It returns false when the
// connection must close.
func (s *Server) line(ctx context.Context, log logr.Logger, id *statauth.Identity, limit *rate.Limiter, f statwire.Frame, err error) bool {
	now := s.opts.Clock.Now()
	if !now.Before(id.Expiry) {
		s.refuse(log, statauth.ReasonExpired, errors.New("the token expired and no fresh one came"))
		return false
	}
	if !limit.AllowN(now, 1) {
		s.metrics.dropped.WithLabelValues(DropRateLimited).Inc()
		return true
	}
	switch {
	case err != nil:
		s.metrics.dropped.WithLabelValues(DropBadFrame).Inc()
		log.V(1).Info("dropped a stat frame that does not parse", "error", err.Error())
	case f.IsAuth():
		var ok bool
		*id, ok = s.refresh(ctx, log, *id, f.Token)
		return ok
	case f.Source != "" && f.Source != id.Pod:
		s.metrics.dropped.WithLabelValues(DropWrongSource).Inc()
		log.V(1).Info("dropped a stat frame from another source than the token's pod", "src", f.Source)
	default:
		s.apply(log, *id, f)
	}
	return true
}

// authenticate reads the connection's first line, which must be an auth
// line within AuthTimeout, and checks its token. It returns the identity,
// or a Refuse reason and the error behind it.
func (s *Server) authenticate(ctx context.Context, conn net.Conn, r *statwire.Reader) (statauth.Identity, string, error) {
	r.SetLimit(statwire.MaxAuthBytes)
	if err := conn.SetReadDeadline(time.Now().Add(s.opts.AuthTimeout)); err != nil {
		return statauth.Identity{}, RefuseNoAuth, err
	}
	f, err := r.Next()
	var ne net.Error
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return statauth.Identity{}, RefuseAuthTimeout, err
	case err != nil:
		return statauth.Identity{}, RefuseNoAuth, err
	case !f.IsAuth():
		return statauth.Identity{}, RefuseNoAuth, errors.New("the first line is not an auth line")
	}
	id, err := s.opts.Authenticator.Authenticate(ctx, f.Token)
	if err != nil {
		return statauth.Identity{}, refusalReason(err), err
	}
	if !s.opts.Clock.Now().Before(id.Expiry) {
		return statauth.Identity{}, statauth.ReasonExpired, errors.New("the token has expired")
	}
	return id, "", nil
}

// refresh checks a fresh token on an authenticated connection and returns
// the identity to go on with, or false when the connection must close
// (refused and counted). A fresh token that cannot be reviewed now keeps
// the current one, which holds until it expires: the activator sends its
// token again soon.
func (s *Server) refresh(ctx context.Context, log logr.Logger, id statauth.Identity, token string) (statauth.Identity, bool) {
	next, err := s.opts.Authenticator.Authenticate(ctx, token)
	switch reason := refusalReason(err); {
	case reason == statauth.ReasonUnavailable:
		log.V(1).Info("could not review a fresh token; keeping the current one", "error", err.Error())
		return id, true
	case err != nil:
		s.refuse(log, reason, err)
		return id, false
	case next.Pod != id.Pod:
		s.refuse(log, RefusePodChanged, errors.New("the fresh token is bound to pod "+next.Pod))
		return id, false
	}
	return next, true
}

// refusalReason returns the reason an Authenticator gave, "" for no error.
func refusalReason(err error) string {
	if err == nil {
		return ""
	}
	var ae *statauth.Error
	if errors.As(err, &ae) {
		return ae.Reason
	}
	return statauth.ReasonInvalid
}

// refuse counts and logs a refused or closed connection; the caller
// returns, which closes it.
func (s *Server) refuse(log logr.Logger, reason string, err error) {
	if reason == errClosing {
		return
	}
	s.metrics.refused.WithLabelValues(reason).Inc()
	msg := "<nil>"
	if err != nil {
		msg = err.Error()
	}
	// At V(1): anyone who reaches the port can cause these; the counter is
	// what operators watch.
	log.V(1).Info("refused a stat connection", "reason", reason, "error", msg)
}

// apply hands a frame of id to the collector and counts what it dropped.
func (s *Server) apply(log logr.Logger, id statauth.Identity, f statwire.Frame) {
	if (f.Usage != nil || len(f.Logs) > 0 || f.Metering != nil) && slices.Contains(s.opts.StatsOnly, id.Username) {
		s.metrics.dropped.WithLabelValues(DropNotAllowed).Inc()
		log.V(1).Info("dropped usage, logs and metering from an identity that may report stats only", "user", id.Username)
		f.Usage, f.Logs, f.Metering = nil, nil, nil
	}
	res, err := s.opts.Collector.Apply(s.opts.Clock.Now(), f, s.opts.Known)
	if errors.Is(err, collector.ErrNoSource) {
		s.metrics.dropped.WithLabelValues(DropNoSource).Inc()
		log.V(1).Info("dropped a stat frame without a source")
		return
	}
	s.metrics.frames.Inc()
	s.metrics.entries.Add(float64(res.Accepted))
	if res.Invalid > 0 {
		s.metrics.dropped.WithLabelValues(DropInvalidStat).Add(float64(res.Invalid))
		log.V(1).Info("dropped invalid stat entries", "count", res.Invalid)
	}
	if res.Unknown > 0 {
		s.metrics.dropped.WithLabelValues(DropUnknownRevision).Add(float64(res.Unknown))
		log.V(1).Info("dropped stat entries for unknown revisions", "count", res.Unknown)
	}
	if f.Usage != nil && s.opts.OnUsage != nil {
		s.opts.OnUsage(f.Source, f.Usage)
	}
	if len(f.Logs) > 0 && s.opts.OnLogs != nil {
		s.opts.OnLogs(f.Source, f.Logs)
	}
	if f.Metering != nil && s.opts.OnMetering != nil {
		s.opts.OnMetering(f.Source, f.Metering)
	}
	for _, key := range res.Pokes {
		s.metrics.pokes.Inc()
		if s.opts.OnPoke != nil {
			s.opts.OnPoke(key)
		}
	}
}
