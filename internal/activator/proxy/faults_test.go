package proxy

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

func TestDialFailureWritesNothing(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	f := newFront(t, Options{}, func() string { return dead })
	res, err := http.Post(f.URL, "text/plain", strings.NewReader("body"))
	if err != nil {
		t.Fatal(err)
	}
	_ = res.Body.Close()
	pe := f.lastErr.Load()
	if res.StatusCode != 502 || pe == nil || pe.Kind != KindDial || pe.Written {
		t.Fatalf("status %d, err %+v", res.StatusCode, pe)
	}
}

func TestRetryAfterDialFailureResendsBody(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	be := backend(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.Copy(w, r.Body) })
	p := New(Options{})
	defer p.CloseIdleConnections()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		pr := p.Prepare(r.Context(), w, r, HTTP1)
		err := p.Serve(pr, dead)
		var pe *Error
		if !errors.As(err, &pe) || pe.Kind != KindDial {
			t.Errorf("first attempt: %v", err)
		}
		if err := p.Serve(pr, be.Listener.Addr().String()); err != nil {
			t.Errorf("second attempt: %v", err)
		}
	}))
	defer s.Close()
	res, err := http.Post(s.URL, "text/plain", strings.NewReader("the body"))
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(b) != "the body" {
		t.Fatalf("got %q", b)
	}
}

func TestBackendResetMidBody(t *testing.T) {
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", "100")
		_, _ = io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		conn, _, _ := http.NewResponseController(w).Hijack()
		if err := conn.(*net.TCPConn).SetLinger(0); err != nil { // close with a reset
			t.Error(err)
		}
		_ = conn.Close()
	})
	f := newFront(t, Options{}, addr(be))
	res, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if err == nil {
		t.Fatal("client read a truncated body without error")
	}
	pe := f.lastErr.Load()
	if pe == nil || pe.Kind != KindBackend || !pe.Written {
		t.Fatalf("err %+v", pe)
	}
}

func TestContextDeadlineIsTimeout(t *testing.T) {
	hang := make(chan struct{})
	defer close(hang)
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-hang:
		case <-r.Context().Done():
		}
	})
	p := New(Options{})
	defer p.CloseIdleConnections()
	done := make(chan *Error, 1)
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 50*time.Millisecond)
		defer cancel()
		var pe *Error
		errors.As(p.Serve(p.Prepare(ctx, w, r, HTTP1), be.Listener.Addr().String()), &pe)
		done <- pe
	}))
	defer s.Close()
	res, err := http.Get(s.URL)
	if err == nil {
		_ = res.Body.Close()
	}
	if pe := <-done; pe == nil || pe.Kind != KindTimeout || pe.Written {
		t.Fatalf("err %+v", pe)
	}
}
