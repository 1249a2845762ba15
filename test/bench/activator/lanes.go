package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"runtime/pprof"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/clientgone"
	"github.com/wakefn/wake/internal/activator/handler"
	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/server"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/throttler"
)

const benchHost = "hello.bench.example.com"

var benchKey = types.NamespacedName{Namespace: "bench", Name: "hello-00001"}

// serve starts h on a fresh 127.0.0.1 port and returns its address. The
// server's goroutines, and those they start (a transport's connection
// loops), carry the pprof label lane=name, so that -cpuprofile can be read
// per lane (go tool pprof -tagfocus lane=activator).
func serve(name string, h http.Handler, s *http.Server) (string, func()) {
	return serveWrapped(name, h, s, nil)
}

// serveWrapped is serve with the listener wrapped by wrap, if not nil.
func serveWrapped(name string, h http.Handler, s *http.Server, wrap func(net.Listener) net.Listener) (string, func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	if wrap != nil {
		ln = wrap(ln)
	}
	if s == nil {
		s = &http.Server{}
	}
	s.Handler = h
	pprof.Do(context.Background(), pprof.Labels("lane", name), func(context.Context) {
		go func() {
			if err := s.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
				panic(err)
			}
		}()
	})
	return ln.Addr().String(), func() { _ = s.Close() }
}

// startBackend is the tiny function: a fixed 5-byte answer.
func startBackend() (string, func()) {
	return serve("backend", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	}), nil)
}

// startBare is the floor: a plain ReverseProxy with a keep-alive transport.
func startBare(backend string) (string, func()) {
	u, _ := url.Parse("http://" + backend)
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	rp.Transport = tr
	addr, stop := serve("bare-proxy", rp, nil)
	return addr, func() { stop(); tr.CloseIdleConnections() }
}

// activator is Wake's request path with everything on.
type activator struct {
	th    *throttler.Throttler
	h     *handler.Handler
	table *routing.Holder
}

// routingInput has n functions in 10 namespaces, plus the bench function.
func routingInput(n int) routing.Input {
	in := routing.Input{Domain: "example.com"}
	for i := range n {
		ns := fmt.Sprintf("ns-%d", i%10)
		name := fmt.Sprintf("fn-%04d", i)
		rev := name + "-00001"
		in.Functions = append(in.Functions, routing.FunctionInput{Namespace: ns, Name: name, LatestReadyRevision: rev})
		in.Revisions = append(in.Revisions, routing.RevisionInput{Key: types.NamespacedName{Namespace: ns, Name: rev}})
	}
	in.Functions = append(in.Functions, routing.FunctionInput{Namespace: benchKey.Namespace, Name: "hello", LatestReadyRevision: benchKey.Name})
	return in
}

func newActivator(ctx context.Context, revisions int, statsAddr string) (*activator, error) {
	a := &activator{table: &routing.Holder{}}
	tbl, problems := routing.Build(routingInput(revisions))
	if len(problems) > 0 {
		return nil, fmt.Errorf("routing problems: %v", problems)
	}
	a.table.Store(tbl)
	st := stats.New(stats.Options{Source: "bench", Address: statsAddr})
	go st.Run(ctx)
	// The activator's limits are in place: the client watcher, the caps
	// on held requests and (in start) on connections, at their defaults.
	gone, err := clientgone.New(clientgone.Options{})
	if err != nil {
		return nil, err
	}
	a.th = throttler.New(throttler.Options{OnWait: gone.Hold, OnColdStart: func(k throttler.RevisionKey) { a.h.OnColdStart(k) }})
	for key := range tbl.Revisions() {
		a.th.UpsertRevision(key, throttler.RevisionConfig{})
	}
	m, err := metrics.New(prometheus.NewRegistry(), metrics.Options{StatsDropped: st.Dropped})
	if err != nil {
		return nil, err
	}
	a.h = handler.New(handler.Options{Table: a.table, Throttler: a.th, Proxy: proxy.New(proxy.Options{}), Stats: st, Metrics: m, Logger: logr.Discard()})
	return a, nil
}

func (a *activator) start() (string, func()) {
	cfg := server.Options{ConnContext: clientgone.WithConn}
	s := server.NewDataServer(cfg, nil)
	return serveWrapped("activator", a.h, s, func(ln net.Listener) net.Listener { return server.LimitListener(ln, cfg) })
}

// statsSink accepts stats connections and discards what they send.
func statsSink() string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { _, _ = io.Copy(io.Discard, c) }()
		}
	}()
	return ln.Addr().String()
}
