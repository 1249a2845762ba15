package handler_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/dataplane"
	"github.com/wakefn/wake/internal/activator/handler"
	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/metering"
)

// discardWriter is a minimal http.ResponseWriter.
type discardWriter struct {
	h    http.Header
	code int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(c int)           { d.code = c }

// SetWriteDeadline accepts the proxy's write deadline, as net/http's
// ResponseWriters do.
func (d *discardWriter) SetWriteDeadline(time.Time) error { return nil }

func benchBackend(b *testing.B) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		_, _ = io.WriteString(w, "hello")
	}))
	b.Cleanup(s.Close)
	return s
}

func benchRequest() *http.Request {
	r := httptest.NewRequest("GET", "http://hello.ns.example.com/path?q=1", nil)
	r.Header.Set("User-Agent", "bench")
	r.Header.Set("Accept", "*/*")
	r.RemoteAddr = "127.0.0.1:5555"
	return r
}

// benchHandler returns the activator's handler, as dataplane.New builds it
// (throttler, stats, metrics and proxy on, and m if not nil), routing
// hello.ns.example.com to one loopback backend; it is closed when b ends.
func benchHandler(b *testing.B, m *meter.Meter) *handler.Handler {
	be := benchBackend(b)
	key := types.NamespacedName{Namespace: "ns", Name: "hello-1"}
	dp, err := dataplane.New(dataplane.Options{Meter: m})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = dp.Close() })
	tbl, _ := routing.Build(routing.Input{Domain: "example.com", Functions: []routing.FunctionInput{{Namespace: "ns", Name: "hello", LatestReadyRevision: "hello-1"}}})
	dp.Table.Store(tbl)
	dp.Throttler.UpsertRevision(key, throttler.RevisionConfig{})
	dp.Throttler.SetEndpoints(key, []throttler.Endpoint{{Address: be.Listener.Addr().String(), Ready: true}})
	return dp.Handler
}

// BenchmarkProxiedRequest measures one request through the whole handler
// (routing table, throttler, stats, proxy) against a loopback backend; the
// allocations reported are the activator's plus the transport's.
func BenchmarkProxiedRequest(b *testing.B) {
	benchProxied(b, benchHandler(b, nil))
}

// BenchmarkMeteredRequest is BenchmarkProxiedRequest with every request
// metered, as wake-config ships it.
func BenchmarkMeteredRequest(b *testing.B) {
	benchProxied(b, benchHandler(b, meter.New(meter.Options{Mode: metering.ModeRequest})))
}

// benchProxied sends requests through h.
func benchProxied(b *testing.B, h *handler.Handler) {
	w := &discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.h = http.Header{}
		h.ServeHTTP(w, benchRequest())
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkReverseProxy is the floor: a bare httputil.ReverseProxy with a
// keep-alive transport, same backend and request.
func BenchmarkReverseProxy(b *testing.B) {
	be := benchBackend(b)
	u, _ := url.Parse(be.URL)
	rp := httputil.NewSingleHostReverseProxy(u)
	tr := &http.Transport{MaxIdleConnsPerHost: 1024, DisableCompression: true}
	defer tr.CloseIdleConnections()
	rp.Transport = tr
	w := &discardWriter{}
	b.ReportAllocs()
	for b.Loop() {
		w.h = http.Header{}
		rp.ServeHTTP(w, benchRequest())
		if w.code != 200 {
			b.Fatalf("status %d", w.code)
		}
	}
}

// BenchmarkRequestSetup is the allocation floor of the benchmarks' own
// request and header construction, to subtract from both.
func BenchmarkRequestSetup(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = http.Header{}
		_ = benchRequest()
	}
}
