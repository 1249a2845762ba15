package clientgone

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// pair returns both ends of a loopback TCP connection: the client's and
// the server's (as an http.Server would have accepted it).
func pair(t *testing.T) (client, server *net.TCPConn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	s, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close(); _ = s.Close() })
	return c.(*net.TCPConn), s.(*net.TCPConn)
}

func newWatcher(t *testing.T, gone *atomic.Int64) *Watcher {
	t.Helper()
	w, err := New(Config{OnGone: func(n int) { gone.Add(int64(n)) }})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := w.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return w
}

// canceled waits up to d for ctx to end and reports whether it did.
func canceled(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return true
	case <-t.C:
		return false
	}
}

// wrapped hides the connection's methods except through NetConn, like a
// listener wrapper.
type wrapped struct {
	net.Conn
	inner net.Conn
}

func (w wrapped) NetConn() net.Conn { return w.inner }

// TestHoldEndsWhenClientLeaves: the held context is canceled with
// ErrClientGone when the client closes or resets its connection, with or
// without bytes it sent still unread, and the watch reads none of them.
func TestHoldEndsWhenClientLeaves(t *testing.T) {
	tests := []struct {
		name   string
		unread string
		reset  bool
		wrap   bool
	}{
		{"FIN, nothing unread", "", false, false},
		{"FIN, part of a body unread", "POST / HTTP/1.1\r\nContent-Length: 9999\r\n\r\nabc", false, false},
		{"RST, part of a body unread", "abc", true, false},
		{"FIN through a wrapper", "abc", false, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var gone atomic.Int64
			w := newWatcher(t, &gone)
			c, s := pair(t)
			var conn net.Conn = s
			if tc.wrap {
				conn = wrapped{Conn: s, inner: s}
			}
			if _, err := io.WriteString(c, tc.unread); err != nil {
				t.Fatal(err)
			}
			ctx, done := w.Hold(WithConn(context.Background(), conn))
			defer done()
			if canceled(ctx, 50*time.Millisecond) {
				t.Fatal("canceled while the client is still there")
			}
			if tc.reset {
				_ = c.SetLinger(0)
			}
			_ = c.Close()
			if !canceled(ctx, 2*time.Second) {
				t.Fatal("not canceled after the client left")
			}
			if cause := context.Cause(ctx); !errors.Is(cause, ErrClientGone) {
				t.Errorf("cause = %v, want ErrClientGone", cause)
			}
			if n := gone.Load(); n != 1 {
				t.Errorf("OnGone counted %d, want 1", n)
			}
			if !tc.reset {
				// The bytes are all still there for whoever reads the body.
				b, _ := io.ReadAll(s)
				if string(b) != tc.unread {
					t.Errorf("socket holds %q, want %q", b, tc.unread)
				}
			}
		})
	}
}

// TestHoldSharedAndReused: waits on one connection share its watch; a
// released connection can be held again (the next request on a
// keep-alive connection); a connection closed on our side before the
// hold cancels at once.
func TestHoldSharedAndReused(t *testing.T) {
	var gone atomic.Int64
	w := newWatcher(t, &gone)
	c, s := pair(t)
	base := WithConn(context.Background(), s)

	ctx1, done1 := w.Hold(base)
	ctx2, done2 := w.Hold(base)
	done1()
	if ctx1.Err() == nil {
		t.Error("released context not canceled")
	}
	done2()
	if len(w.conns) != 0 || len(w.byID) != 0 {
		t.Fatalf("watch kept after the last release: %d conns %d ids", len(w.conns), len(w.byID))
	}
	if context.Cause(ctx2) == ErrClientGone {
		t.Error("released context canceled as gone")
	}

	ctx3, done3 := w.Hold(base) // registered again: no EEXIST
	ctx4, done4 := w.Hold(base)
	defer done3()
	defer done4()
	_ = c.Close()
	for _, ctx := range []context.Context{ctx3, ctx4} {
		if !canceled(ctx, 2*time.Second) || context.Cause(ctx) != ErrClientGone {
			t.Fatalf("shared wait not ended as gone: %v", context.Cause(ctx))
		}
	}
	if n := gone.Load(); n != 2 {
		t.Errorf("OnGone counted %d, want 2", n)
	}

	_, s2 := pair(t)
	_ = s2.Close()
	ctx5, done5 := w.Hold(WithConn(context.Background(), s2))
	defer done5()
	if context.Cause(ctx5) != ErrClientGone {
		t.Errorf("hold on a closed connection: cause %v, want ErrClientGone", context.Cause(ctx5))
	}
}

// TestHoldWithoutSocket: a context without a connection, or with one that
// has no socket, is returned as it is; so is any context after Close.
func TestHoldWithoutSocket(t *testing.T) {
	var gone atomic.Int64
	w := newWatcher(t, &gone)
	bg := context.Background()
	if ctx, done := w.Hold(bg); ctx != bg {
		t.Error("context without a connection changed")
	} else {
		done()
	}
	p1, p2 := net.Pipe()
	defer func() { _ = p1.Close(); _ = p2.Close() }()
	pctx := WithConn(bg, p1)
	if ctx, done := w.Hold(pctx); ctx != pctx {
		t.Error("context with a socketless connection changed")
	} else {
		done()
	}
	var nilW *Watcher
	if ctx, done := nilW.Hold(pctx); ctx != pctx {
		t.Error("nil watcher changed the context")
	} else {
		done()
	}
	_, s := pair(t)
	sctx := WithConn(bg, s)
	_ = w.Close()
	if ctx, done := w.Hold(sctx); ctx != sctx {
		t.Error("closed watcher changed the context")
	} else {
		done()
	}
}
