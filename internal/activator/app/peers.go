package app

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"

	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/activator/handler"
	"github.com/wakefn/wake/internal/activator/ratelimit"
)

// rateLimitPeers returns the rate-limit addresses of the activators by
// index, or nil (every count kept here) when this activator serves none.
func (o Options) rateLimitPeers(sys *feed.SystemWatcher) func() []string {
	if o.RateLimitAddr == "" && o.RateLimitListener == nil {
		return nil
	}
	port := "8081"
	if o.RateLimitListener != nil {
		port = portOf(o.RateLimitListener.Addr().String(), port)
	} else {
		port = portOf(o.RateLimitAddr, port)
	}
	return peerAddrs(sys, port)
}

// portOf returns addr's port, or def when it has none (or 0).
func portOf(addr, def string) string {
	if _, port, err := net.SplitHostPort(addr); err == nil && port != "" && port != "0" {
		return port
	}
	return def
}

// servePeers answers the other activators' asks for rate-limit tokens
// (only theirs: fromPeer checks the source) until ctx ends. It does
// nothing without an address or listener.
func servePeers(ctx context.Context, o Options, l *ratelimit.Limiter, peers func() []string) error {
	ln := o.RateLimitListener
	if ln == nil {
		if o.RateLimitAddr == "" {
			return nil
		}
		var err error
		if ln, err = net.Listen("tcp", o.RateLimitAddr); err != nil {
			return err
		}
	}
	srv := &http.Server{
		Handler:           l.PeerHandler(func(ra string) bool { return handler.FromPeer(peers, ra) }),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       10 * time.Second,
		WriteTimeout:      10 * time.Second,
		IdleTimeout:       time.Minute,
		MaxHeaderBytes:    8 << 10,
	}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
