package server

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"

	"github.com/wakefn/wake/internal/activator/ingress"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/config/defaults"
)

// Options configures Run. Zero fields take the documented defaults.
type Options struct {
	// Handler serves function traffic.
	Handler http.Handler
	// Addr is the data-plane address; default ":8080". Ignored if Listener
	// is set.
	Addr string
	// Listener, if set, is used for the data plane (tests).
	Listener net.Listener
	// AdminAddr is the admin address; default ":9090". Ignored if
	// AdminListener is set.
	AdminAddr string
	// AdminListener, if set, is used for the admin endpoints.
	AdminListener net.Listener
	// Metrics serves /metrics on the admin listener; nil leaves it out.
	Metrics http.Handler
	// Ready reports whether the activator may take traffic (routing table
	// loaded); nil means always.
	Ready func() bool
	// ReadHeaderTimeout bounds reading request headers; default 10s.
	ReadHeaderTimeout time.Duration
	// IdleTimeout closes idle keep-alive connections; default 120s.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds request headers; default
	// proxy.DefaultMaxHeaderBytes, the proxy's limit for pods' answers.
	MaxHeaderBytes int
	// MaxConnections caps open client connections on the data port;
	// beyond it a new connection is answered 503 with Retry-After and
	// closed (see limitListener). Default defaults.MaxConnections.
	MaxConnections int
	// OnConnRefused, if set, is called for each connection refused by
	// MaxConnections.
	OnConnRefused func()
	// ConnContext, if set, is the data server's http.Server.ConnContext
	// (clientgone.WithConn).
	ConnContext func(ctx context.Context, c net.Conn) context.Context
	// DrainGrace keeps accepting after readiness turns off; default 0.
	DrainGrace time.Duration
	// DrainTimeout bounds waiting for requests after the listener closes;
	// default defaults.DrainTimeout.
	DrainTimeout time.Duration
	// Logger receives lifecycle logs.
	Logger logr.Logger
}

func (c Options) withDefaults() Options {
	if c.Addr == "" {
		c.Addr = ":8080"
	}
	if c.AdminAddr == "" {
		c.AdminAddr = ":9090"
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = 10 * time.Second
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = 120 * time.Second
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = proxy.DefaultMaxHeaderBytes
	}
	if c.DrainTimeout <= 0 {
		c.DrainTimeout = defaults.DrainTimeout
	}
	if c.MaxConnections <= 0 {
		c.MaxConnections = defaults.MaxConnections
	}
	return c
}

// NewDataServer returns the hardened data-plane server for h.
func NewDataServer(cfg Options, h http.Handler) *http.Server {
	cfg = cfg.withDefaults()
	s := &http.Server{
		Handler:           ingress.CloseIfUpgrade(h),
		ReadHeaderTimeout: cfg.ReadHeaderTimeout,
		IdleTimeout:       cfg.IdleTimeout,
		MaxHeaderBytes:    cfg.MaxHeaderBytes,
		Protocols:         new(http.Protocols),
		HTTP2:             http2Config(),
		ConnContext:       connContext(cfg.ConnContext),
		ErrorLog:          nil,
		// "OPTIONS *" reaches the handler, which closes the connection
		// after it if it asked to upgrade (see ingress.CloseIfUpgrade).
		DisableGeneralOptionsHandler: true,
	}
	s.Protocols.SetHTTP1(true)
	s.Protocols.SetUnencryptedHTTP2(true)
	return s
}

// connContext returns the data server's ConnContext: blocked response
// writes resume as the client reads, so that the proxy's write deadlines
// measure the client (one setsockopt per connection), then next, if set.
func connContext(next func(context.Context, net.Conn) context.Context) func(context.Context, net.Conn) context.Context {
	return func(ctx context.Context, c net.Conn) context.Context {
		proxy.LimitUnsent(c)
		if next != nil {
			ctx = next(ctx, c)
		}
		return ctx
	}
}

// tracker counts handlers still running, hijacked ones included.
type tracker struct {
	h  http.Handler
	wg sync.WaitGroup
}

func (t *tracker) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	t.wg.Add(1)
	defer t.wg.Done()
	t.h.ServeHTTP(w, r)
}

// Run serves until ctx ends, then drains and returns once its listeners
// are closed (a peer connecting afterwards is refused). It returns an error
// only if a listener could not be opened or failed while serving.
func Run(ctx context.Context, cfg Options) error {
	cfg = cfg.withDefaults()
	log := cfg.Logger
	ln, err := listen(cfg.Listener, cfg.Addr)
	if err != nil {
		return err
	}
	aln, err := listen(cfg.AdminListener, cfg.AdminAddr)
	if err != nil {
		_ = ln.Close() // never served on; the listen error is the one to report
		return err
	}
	ln = newLimitListener(ln, cfg.MaxConnections, cfg.OnConnRefused, log)
	var draining atomic.Bool
	ready := func() bool { return !draining.Load() && (cfg.Ready == nil || cfg.Ready()) }

	base, cancelBase := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelBase()
	tr := &tracker{h: cfg.Handler}
	data := NewDataServer(cfg, tr)
	data.BaseContext = func(net.Listener) context.Context { return base }
	admin := &http.Server{Handler: adminMux(ready, cfg.Metrics), ReadHeaderTimeout: 5 * time.Second}

	errc := make(chan error, 2)
	go func() {
		errc <- serve(data, ingress.Listen(ln, ingress.GuardOptions{MaxHeaderBytes: cfg.MaxHeaderBytes, OnRefuse: func(reason string) {
			log.V(1).Info("request head refused", "reason", reason)
		}}), "data")
	}()
	go func() { errc <- serve(admin, aln, "admin") }()
	log.Info("activator serving", "address", ln.Addr().String(), "admin", aln.Addr().String())

	var serveErr error
	serving := 2
	select {
	case <-ctx.Done():
	case serveErr = <-errc:
		serving--
	}
	draining.Store(true)
	log.Info("draining", "grace", cfg.DrainGrace.String(), "timeout", cfg.DrainTimeout.String())
	if serveErr == nil && cfg.DrainGrace > 0 {
		t := time.NewTimer(cfg.DrainGrace)
		<-t.C
	}
	drain(data, tr, cancelBase, cfg.DrainTimeout, log)
	_ = admin.Close()
	// Return only once both Serve loops have: until then a listener's
	// socket may still be open, and a peer connecting to it would be
	// reset rather than refused.
	for ; serving > 0; serving-- {
		if err := <-errc; serveErr == nil {
			serveErr = err
		}
	}
	return serveErr
}

// drain stops accepting, waits for running requests up to timeout, then
// cancels and closes whatever is left.
func drain(s *http.Server, tr *tracker, cancel context.CancelFunc, timeout time.Duration, log logr.Logger) {
	ctx, stop := context.WithTimeout(context.Background(), timeout)
	defer stop()
	_ = s.Shutdown(ctx) // closes listeners and idle connections, waits for busy ones
	done := make(chan struct{})
	go func() { tr.wg.Wait(); close(done) }()
	select {
	case <-done:
		log.Info("drained")
	case <-ctx.Done():
		log.Info("drain timeout: cancelling remaining requests")
	}
	cancel()
	_ = s.Close()
	<-done
}

func listen(ln net.Listener, addr string) (net.Listener, error) {
	if ln != nil {
		return ln, nil
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	return l, nil
}

func serve(s *http.Server, ln net.Listener, name string) error {
	if err := s.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("%s server: %w", name, err)
	}
	return nil
}

func adminMux(ready func() bool, metrics http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if !ready() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte("ok\n"))
	})
	if metrics != nil {
		mux.Handle("GET /metrics", metrics)
	}
	return mux
}
