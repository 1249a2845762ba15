// Package statserver receives the activators' stats over TCP.
//
// Each activator keeps one connection open and writes frames in the format
// of package internal/stats. The server applies every frame to a
// collector.Collector and calls OnPoke for each accepted poke entry. It drops
// and counts, in wake_autoscaler_stats_dropped_total, lines that are not
// frames, frames without a source, invalid entries and entries for revisions
// that are not tracked; a frame over stats.MaxFrameBytes closes the
// connection. The server runs whether or not its process leads: a standby
// keeps collecting so that it can decide as soon as it is elected.
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
)

// DefaultIdleTimeout closes a connection that sent nothing for this long;
// activators send a frame every stats.Period.
const DefaultIdleTimeout = 30 * time.Second

// Options configure a Server.
type Options struct {
	// Addr is the TCP address Start listens on, e.g. ":8080".
	Addr string
	// Collector receives the frames. Required.
	Collector *collector.Collector
	// Known reports whether a revision is tracked; nil accepts all.
	Known func(types.NamespacedName) bool
	// OnPoke is called, without blocking for long, for each accepted poke.
	OnPoke func(types.NamespacedName)
	// Clock stamps frames and drives the collector's sweeps; nil means the
	// real clock.
	Clock clock.WithTicker
	// Log receives connection events.
	Log logr.Logger
	// Registerer receives the server's metrics; nil registers none.
	Registerer prometheus.Registerer
	// IdleTimeout closes silent connections; 0 means DefaultIdleTimeout.
	IdleTimeout time.Duration
}

// Server accepts activator connections.
type Server struct {
	opts    Options
	metrics *metrics

	mu    sync.Mutex
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

// New returns a Server; it listens only once started.
func New(o Options) (*Server, error) {
	if o.Collector == nil {
		return nil, errors.New("statserver: Options.Collector is required")
	}
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = DefaultIdleTimeout
	}
	m, err := newMetrics(o.Registerer)
	if err != nil {
		return nil, err
	}
	return &Server{opts: o, metrics: m, conns: map[net.Conn]struct{}{}}, nil
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
	log.Info("Serving activator stats")
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
		if !s.track(conn) {
			_ = conn.Close()
			return nil
		}
		s.wg.Go(func() {
			defer s.untrack(conn)
			s.handle(log, conn)
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

// track registers a connection; it fails once the server is closing.
func (s *Server) track(c net.Conn) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conns == nil {
		return false
	}
	s.conns[c] = struct{}{}
	s.metrics.connections.Inc()
	return true
}

func (s *Server) untrack(c net.Conn) {
	_ = c.Close()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.conns[c]; ok {
		delete(s.conns, c)
		s.metrics.connections.Dec()
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
