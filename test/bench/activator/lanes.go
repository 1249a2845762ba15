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
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/dataplane"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/ratelimit"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/server"
	"github.com/wakefn/wake/internal/activator/stats"
	"github.com/wakefn/wake/internal/activator/throttler"
)

const (
	benchHost = "hello.bench.example.com"
	// gatewayHost is a Route to the bench function with every gateway
	// policy: CORS for benchOrigin, an API key (benchKeyHeader:
	// benchSecret) and a rate limit per client that the lanes never reach.
	gatewayHost = "gateway.bench.example.com"
	// limitedHost is gatewayHost's policies with a limit of one request a
	// day: every request but the first is refused 429.
	limitedHost    = "limited.bench.example.com"
	benchOrigin    = "https://app.bench.example.com"
	benchKeyHeader = "X-Api-Key"
	benchSecret    = "bench-secret"
)

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
	in.Routes = append(in.Routes, gatewayRoute("gateway", gatewayHost, 1_000_000_000), gatewayRoute("limited", limitedHost, 0))
	return in
}

// gatewayRoute is a Route to the bench function with CORS, an API key and
// a rate limit per client of perSecond requests a second, or of one a day
// with perSecond 0.
func gatewayRoute(name, host string, perSecond int64) routing.RouteInput {
	limit := ratelimit.Limit{Name: "per-client", Key: ratelimit.KeyClientID, Requests: perSecond, Per: time.Second}
	if perSecond == 0 {
		limit.Requests, limit.Per = 1, 24*time.Hour
	}
	clients := map[string]apikey.Hash{"bench-client": apikey.HashOf([]byte(benchSecret))}
	for i := range 99 {
		clients[fmt.Sprintf("client-%02d", i)] = apikey.HashOf([]byte(fmt.Sprintf("secret-%02d", i)))
	}
	return routing.RouteInput{
		Namespace: benchKey.Namespace, Name: name, Hosts: []string{host},
		Rules: []routing.RuleInput{{
			Traffic: []routing.TrafficInput{{Revision: benchKey, Percent: 100}},
			CORS: &cors.Config{
				AllowOrigins: []string{"https://www.bench.example.com", benchOrigin, "https://*.apps.bench.example.com"},
				AllowMethods: []string{"GET", "PUT", "DELETE"}, AllowHeaders: []string{"Content-Type", benchKeyHeader},
				ExposeHeaders: []string{"X-Total"}, AllowCredentials: true,
			},
			APIKeys:   &apikey.Config{Clients: clients, Headers: []string{benchKeyHeader}, ClientHeader: "Wake-Client-Id"},
			RateLimit: &ratelimit.Config{Namespace: benchKey.Namespace, Scope: benchKey.Namespace + "/" + name + "/0", Limits: []ratelimit.Limit{limit}},
		}},
	}
}

// newActivator is Wake's request path with everything on, as the
// activator assembles it (dataplane.New): the table with revisions
// functions loaded, the throttler with the client watcher and the cap on
// held requests at its default, stats sent to statsAddr, metrics.
func newActivator(ctx context.Context, revisions int, statsAddr string, m *meter.Meter) (*dataplane.DataPlane, error) {
	tbl, problems := routing.Build(routingInput(revisions))
	if len(problems) > 0 {
		return nil, fmt.Errorf("routing problems: %v", problems)
	}
	dp, err := dataplane.New(dataplane.Options{Stats: stats.Options{Source: "bench", Address: statsAddr}, Meter: m})
	if err != nil {
		return nil, err
	}
	dp.Table.Store(tbl)
	for key := range tbl.Revisions() {
		dp.Throttler.UpsertRevision(key, throttler.RevisionConfig{})
	}
	go dp.Stats.Run(ctx)
	return dp, nil
}

// startActivator serves dp's handler as the activator's data server does,
// with its cap on connections at the default.
func startActivator(name string, dp *dataplane.DataPlane) (string, func()) {
	o := dp.ServerOptions(server.Options{})
	s := server.NewDataServer(o, nil)
	return serveWrapped(name, dp.Handler, s, func(ln net.Listener) net.Listener { return server.LimitListener(ln, o) })
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
