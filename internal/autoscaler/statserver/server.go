// Package statserver receives the activators' stats over TCP.
//
// Each activator keeps one connection open and writes frames in the format
// of package internal/statwire. The server applies every frame to a
// collector.Collector and calls OnPoke for each accepted poke entry. It drops
// and counts, in wake_autoscaler_stats_dropped_total, lines that are not
// frames, frames without a source, invalid entries and entries for revisions
// that are not tracked; a frame over statwire.MaxFrameBytes closes the
// connection. The server runs whether or not its process leads: a standby
// keeps collecting so that it can decide as soon as it is elected.
//
// # Who may report
//
// A connection must open with an auth line (internal/statwire,
// "Authentication") within AuthTimeout; until then the server reads at most
// statwire.MaxAuthBytes from it. The Authenticator (statauth in production)
// checks the token and names the activator's pod. From then on a frame
// whose src is another name is dropped (reason wrong_source), and a
// further auth line must name the same pod. Each connection may send
// FrameRate lines a second, in bursts of FrameBurst (pokes and auth lines
// count); lines beyond are dropped (reason rate_limited). A connection is
// refused, or closed, and counted in
// wake_autoscaler_stats_connections_refused_total{reason} when MaxConnections
// are open, when MaxUnauthenticated are waiting for authentication, when
// MaxSources distinct pods are connected and it is another one, when it
// sends no auth line in time or sends anything else first, when its token
// is refused (statauth's reasons, a review that cannot be made included:
// the server fails closed), and when its token expires without a fresh one.
package statserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/statwire"
)

// DefaultIdleTimeout closes a connection that sent nothing for this long;
// activators send a frame every statwire.Period.
const DefaultIdleTimeout = 30 * time.Second

// Defaults of the Options that bound what peers may hold.
const (
	// DefaultAuthTimeout is how long a connection may take to send its
	// auth line.
	DefaultAuthTimeout = 5 * time.Second
	// DefaultMaxConnections bounds the open connections.
	DefaultMaxConnections = 256
	// DefaultMaxUnauthenticated bounds the connections not authenticated
	// yet.
	DefaultMaxUnauthenticated = 16
	// DefaultMaxSources bounds the distinct activator pods connected.
	DefaultMaxSources = 128
	// DefaultFrameRate is the lines a second one connection may send; an
	// activator sends one frame a second plus one per cold start.
	DefaultFrameRate = 50
	// DefaultFrameBurst is the lines one connection may send at once.
	DefaultFrameBurst = 100
)

// Authenticator checks the token of a connection's auth line and returns
// the identity it proves; *statauth.Authenticator is one. Errors of type
// *statauth.Error give the refusal's reason.
type Authenticator interface {
	Authenticate(ctx context.Context, token string) (statauth.Identity, error)
}

// Options configure a Server.
type Options struct {
	// Addr is the TCP address Start listens on, e.g. ":8080".
	Addr string
	// Collector receives the frames. Required.
	Collector *collector.Collector
	// Known reports whether a revision is tracked; nil accepts all.
	Known func(types.NamespacedName) bool
	// StatsOnly are the identities (statauth.Identity.Username) whose
	// frames may carry stats and pokes only: usage, request logs and
	// metering in their frames are dropped and counted (DropNotAllowed).
	// The Kafka dispatchers are such; the activators are not.
	StatsOnly []string
	// OnPoke is called, without blocking for long, for each accepted poke.
	OnPoke func(types.NamespacedName)
	// OnUsage, if set, is given the usage counts of each frame that has
	// them, with the frame's (authenticated) source.
	OnUsage func(src string, u *statwire.Usage)
	// OnLogs, if set, is given the request log lines of each frame that
	// has them, with the frame's source.
	OnLogs func(src string, lines []statwire.LogLine)
	// OnMetering, if set, is given the metering of each frame that has
	// it, with the frame's source.
	OnMetering func(src string, m *statwire.Metering)
	// Clock stamps frames and drives the collector's sweeps; nil means the
	// real clock.
	Clock clock.WithTicker
	// Log receives connection events.
	Log logr.Logger
	// Registerer receives the server's metrics; nil registers none.
	Registerer prometheus.Registerer
	// IdleTimeout closes silent connections; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
	// Authenticator checks every connection's token. Required.
	Authenticator Authenticator
	// AuthTimeout closes a connection that sent no auth line within it;
	// 0 means DefaultAuthTimeout.
	AuthTimeout time.Duration
	// MaxConnections bounds the open connections; 0 means
	// DefaultMaxConnections.
	MaxConnections int
	// MaxUnauthenticated bounds the connections waiting to authenticate;
	// 0 means DefaultMaxUnauthenticated.
	MaxUnauthenticated int
	// MaxSources bounds the distinct pods with open connections; 0 means
	// DefaultMaxSources.
	MaxSources int
	// FrameRate and FrameBurst bound, per connection, the lines a second
	// and at once; 0 means DefaultFrameRate and DefaultFrameBurst.
	FrameRate  float64
	FrameBurst int
}

// Server accepts activator connections.
type Server struct {
	opts    Options
	metrics *metrics

	mu      sync.Mutex
	conns   map[net.Conn]*peer // nil once closing
	unauth  int                // connections not authenticated yet
	sources map[string]int     // open authenticated connections per pod
	wg      sync.WaitGroup
}

// peer is what the server knows of one connection.
type peer struct {
	authed bool
	pod    string
}

// New returns a Server; it listens only once started.
func New(o Options) (*Server, error) {
	if o.Collector == nil {
		return nil, errors.New("statserver: Options.Collector is required")
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.Authenticator == nil {
		return nil, errors.New("statserver: Options.Authenticator is required")
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	if o.AuthTimeout <= 0 {
		o.AuthTimeout = DefaultAuthTimeout
	}
	if o.MaxConnections <= 0 {
		o.MaxConnections = DefaultMaxConnections
	}
	if o.MaxUnauthenticated <= 0 {
		o.MaxUnauthenticated = DefaultMaxUnauthenticated
	}
	if o.MaxSources <= 0 {
		o.MaxSources = DefaultMaxSources
	}
	if o.FrameRate <= 0 {
		o.FrameRate = DefaultFrameRate
	}
	if o.FrameBurst <= 0 {
		o.FrameBurst = DefaultFrameBurst
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return &Server{opts: o, metrics: m, conns: map[net.Conn]*peer{}, sources: map[string]int{}}, nil
}

// NeedLeaderElection tells controller-runtime to run the server on every
// replica, leader or not.
func (s *Server) NeedLeaderElection() bool { return false }

// Start listens on Options.Addr and serves until ctx is done; it implements
// controller-runtime's manager.Runnable.
func (s *Server) Start(ctx context.Context) error {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", s.opts.Addr)
	if err != nil {
		return fmt.Errorf("listen for stats on %s: %w", s.opts.Addr, err)
	}
	return s.Serve(ctx, ln)
}

// Serve accepts connections on ln until ctx is done, then closes ln and
// every connection and waits for their handlers. It returns nil after ctx
// is done.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	log := s.opts.Log.WithValues("addr", ln.Addr().String())
	log.Info("serving activator stats")
	// Closes here only unblock Accept and the handlers' reads during
	// shutdown; their errors carry no information.
	stop := context.AfterFunc(ctx, func() {
		_ = ln.Close()
		s.closeConns()
	})
	defer stop()
	s.wg.Go(func() { s.sweep(ctx) })
	defer s.wg.Wait()

	for {
		conn, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			_ = ln.Close()
			s.closeConns()
			return fmt.Errorf("accept stat connection: %w", err)
		}
		switch reason := s.track(conn); reason {
		case "":
		case errClosing:
			_ = conn.Close()
			return nil
		default:
			_ = conn.Close()
			s.metrics.refused.WithLabelValues(reason).Inc()
			log.V(1).Info("refused a stat connection", "remote", conn.RemoteAddr().String(), "reason", reason)
			continue
		}
		s.wg.Go(func() {
			defer s.untrack(conn)
			s.handle(ctx, log, conn)
		})
	}
}

// sweep frees expired sources now and then.
func (s *Server) sweep(ctx context.Context) {
	t := s.opts.Clock.NewTicker(10 * collector.DefaultExpiry)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C():
			s.opts.Collector.Sweep(s.opts.Clock.Now())
		}
	}
}

// errClosing is track's answer once the server is closing.
const errClosing = "closing"

// track registers a new, unauthenticated connection, or returns why not:
// errClosing or a Refuse reason.
func (s *Server) track(c net.Conn) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.conns == nil:
		return errClosing
	case len(s.conns) >= s.opts.MaxConnections:
		return RefuseTooManyConnections
	case s.unauth >= s.opts.MaxUnauthenticated:
		return RefuseTooManyUnauthenticated
	}
	s.conns[c] = &peer{}
	s.unauth++
	s.metrics.connections.Inc()
	return ""
}

// authenticated moves c from the unauthenticated connections to pod's, or
// returns why not (a Refuse reason).
func (s *Server) authenticated(c net.Conn, pod string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.conns[c]
	if p == nil {
		return errClosing
	}
	if s.sources[pod] == 0 && len(s.sources) >= s.opts.MaxSources {
		return RefuseTooManySources
	}
	p.authed, p.pod = true, pod
	s.unauth--
	s.sources[pod]++
	return ""
}

func (s *Server) untrack(c net.Conn) {
	_ = c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.conns[c]
	if !ok {
		return
	}
	delete(s.conns, c)
	s.metrics.connections.Dec()
	if !p.authed {
		s.unauth--
		return
	}
	if s.sources[p.pod]--; s.sources[p.pod] <= 0 {
		delete(s.sources, p.pod)
	}
}

func (s *Server) closeConns() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		_ = c.Close()
	}
	s.conns = nil
	s.metrics.connections.Set(0)
}
