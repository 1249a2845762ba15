package proxy

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

// front starts a server that proxies everything to dest() and records the
// last Serve error.
type front struct {
	*httptest.Server
	p       *Proxy
	lastErr atomic.Pointer[Error]
}

// newFront is newFrontTo for HTTP/1.1 pods.
func newFront(t *testing.T, cfg Options, dest func() string) *front {
	t.Helper()
	return newFrontTo(t, cfg, HTTP1, dest)
}

// dial opens a raw connection to f, whose reads and writes fail after 10 s;
// it is closed when t ends.
func (f *front) dial(t *testing.T) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", f.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := conn.SetDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	return conn
}

// newFrontTo starts a front (serving HTTP/1.1 and h2c) that proxies to pods
// serving proto.
func newFrontTo(t *testing.T, cfg Options, proto Protocol, dest func() string) *front {
	t.Helper()
	f := &front{p: New(cfg)}
	f.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr := f.p.Prepare(r.Context(), w, r, proto)
		if err := f.p.Serve(pr, dest()); err != nil {
			var pe *Error
			if !errors.As(err, &pe) {
				t.Errorf("Serve returned %T, want *Error", err)
				return
			}
			f.lastErr.Store(pe)
			if !pe.Written {
				w.WriteHeader(http.StatusBadGateway)
			}
		}
	}))
	f.Config.Protocols = new(http.Protocols)
	f.Config.Protocols.SetHTTP1(true)
	f.Config.Protocols.SetUnencryptedHTTP2(true)
	f.Start()
	t.Cleanup(f.Close)
	t.Cleanup(f.p.CloseIdleConnections)
	return f
}

func backend(t *testing.T, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	s := httptest.NewUnstartedServer(h)
	s.Config.Protocols = new(http.Protocols)
	s.Config.Protocols.SetHTTP1(true)
	s.Config.Protocols.SetUnencryptedHTTP2(true)
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func addr(s *httptest.Server) func() string {
	return func() string { return s.Listener.Addr().String() }
}

func h2cClient() *http.Client {
	tr := &http.Transport{Protocols: new(http.Protocols)}
	tr.Protocols.SetUnencryptedHTTP2(true)
	return &http.Client{Transport: tr}
}

func TestHeaders(t *testing.T) {
	var got http.Header
	var gotHost string
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		gotHost = r.Host
		w.Header().Set("Connection", "X-Resp-Hop")
		w.Header().Set("X-Resp-Hop", "1")
		w.Header().Set("Keep-Alive", "timeout=5")
		w.Header().Set("Wake-Internal-Secret", "1")
		w.Header().Set("Wake-Cold-Start", "999")
		w.Header().Set("X-App", "ok")
		_, _ = fmt.Fprint(w, "hello")
	})
	for _, trust := range []bool{false, true} {
		t.Run(fmt.Sprint("trust=", trust), func(t *testing.T) {
			f := newFront(t, Options{TrustProxy: func(string) bool { return trust }}, addr(be))
			req, _ := http.NewRequest("GET", f.URL+"/p?q=1", nil)
			req.Host = "fn.example.com"
			req.Header.Set("Connection", "X-Custom-Hop, keep-alive")
			req.Header.Set("X-Custom-Hop", "drop me")
			req.Header.Set("Proxy-Authorization", "secret")
			req.Header.Set("Te", "trailers, deflate")
			req.Header.Set("Wake-Internal-Token", "x")
			req.Header.Set("X-Forwarded-For", "10.1.1.1")
			req.Header.Set("X-Forwarded-Host", "lb.example.com")
			req.Header.Set("X-Forwarded-Proto", "https")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if string(b) != "hello" || res.StatusCode != 200 {
				t.Fatalf("got %d %q", res.StatusCode, b)
			}
			for _, k := range []string{"X-Custom-Hop", "Proxy-Authorization", "Wake-Internal-Token", "Connection"} {
				if v := got.Get(k); v != "" {
					t.Errorf("request header %s leaked: %q", k, v)
				}
			}
			if v := got.Get("Te"); v != "trailers" {
				t.Errorf("Te = %q, want trailers", v)
			}
			if _, ok := got["User-Agent"]; ok && got.Get("User-Agent") != "Go-http-client/1.1" {
				t.Errorf("User-Agent = %q, want the client's", got.Get("User-Agent"))
			}
			if gotHost != "fn.example.com" {
				t.Errorf("Host = %q", gotHost)
			}
			wantFor, wantHost, wantProto := "127.0.0.1", "fn.example.com", "http"
			if trust {
				wantFor, wantHost, wantProto = "10.1.1.1, 127.0.0.1", "lb.example.com", "https"
			}
			if v := got.Get("X-Forwarded-For"); v != wantFor {
				t.Errorf("X-Forwarded-For = %q, want %q", v, wantFor)
			}
			if v := got.Get("X-Forwarded-Host"); v != wantHost {
				t.Errorf("X-Forwarded-Host = %q, want %q", v, wantHost)
			}
			if v := got.Get("X-Forwarded-Proto"); v != wantProto {
				t.Errorf("X-Forwarded-Proto = %q, want %q", v, wantProto)
			}
			for _, k := range []string{"X-Resp-Hop", "Keep-Alive", "Wake-Internal-Secret", "Wake-Cold-Start"} {
				if v := res.Header.Get(k); v != "" {
					t.Errorf("response header %s leaked: %q", k, v)
				}
			}
			if res.Header.Get("X-App") != "ok" {
				t.Errorf("X-App missing")
			}
		})
	}
}

func TestKeepAliveReuse(t *testing.T) {
	var conns atomic.Int32
	be := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") }))
	be.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	be.Start()
	defer be.Close()
	f := newFront(t, Options{}, addr(be))
	for i := range 50 {
		res, err := http.Get(f.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("request %d: %d", i, res.StatusCode)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("backend saw %d connections for 50 sequential requests, want 1", n)
	}
}
