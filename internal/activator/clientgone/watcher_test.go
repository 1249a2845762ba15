package clientgone

import (
	"context"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

func newWatcher(t *testing.T) *Watcher {
	t.Helper()
	w, err := New(Options{})
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

// closed waits up to d for ch to be closed and reports whether it was.
func closed(ch <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ch:
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
			w := newWatcher(t)
			c, s := testutil.TCPPair(t)
			var conn net.Conn = s
			if tc.wrap {
				conn = wrapped{Conn: s, inner: s}
			}
			if _, err := io.WriteString(c, tc.unread); err != nil {
				t.Fatal(err)
			}
			left, done := w.Hold(WithConn(context.Background(), conn))
			defer done()
			if closed(left, 50*time.Millisecond) {
				t.Fatal("gone while the client is still there")
			}
			if tc.reset {
				_ = c.SetLinger(0)
			}
			_ = c.Close()
			if !closed(left, 2*time.Second) {
				t.Fatal("not gone after the client left")
			}
			if n := w.Gone(); n != 1 {
				t.Errorf("Gone() = %d, want 1", n)
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
	w := newWatcher(t)
	c, s := testutil.TCPPair(t)
	base := WithConn(context.Background(), s)

	gone1, done1 := w.Hold(base)
	gone2, done2 := w.Hold(base)
	done1()
	done2()
	w.mu.Lock()
	kept := len(w.conns) + len(w.byID)
	w.mu.Unlock()
	if kept != 0 {
		t.Fatalf("watch kept after the last release: %d entries", kept)
	}
	if closed(gone1, 0) || closed(gone2, 0) {
		t.Error("released waits marked gone")
	}

	gone3, done3 := w.Hold(base) // registered again: no EEXIST
	gone4, done4 := w.Hold(base)
	defer done3()
	defer done4()
	_ = c.Close()
	for _, g := range []<-chan struct{}{gone3, gone4} {
		if !closed(g, 2*time.Second) {
			t.Fatal("shared wait not ended after the client left")
		}
	}
	if n := w.Gone(); n != 2 {
		t.Errorf("Gone() = %d, want 2", n)
	}

	_, s2 := testutil.TCPPair(t)
	_ = s2.Close()
	gone5, done5 := w.Hold(WithConn(context.Background(), s2))
	defer done5()
	if !closed(gone5, 2*time.Second) {
		t.Error("hold on a closed connection not ended")
	}
}

// TestHoldWithoutSocket: a context without a connection, or with one that
// has no socket, gets no watch (a nil channel); so does any context after
// Close, or on a nil Watcher.
func TestHoldWithoutSocket(t *testing.T) {
	w := newWatcher(t)
	bg := context.Background()
	p1, p2 := net.Pipe()
	defer func() { _ = p1.Close(); _ = p2.Close() }()
	_, s := testutil.TCPPair(t)
	var nilW *Watcher
	check := func(what string, w *Watcher, ctx context.Context) {
		t.Helper()
		gone, done := w.Hold(ctx)
		if gone != nil {
			t.Errorf("%s: watched", what)
		}
		done()
	}
	check("no connection", w, bg)
	check("socketless connection", w, WithConn(bg, p1))
	check("nil watcher", nilW, WithConn(bg, s))
	_ = w.Close()
	check("closed watcher", w, WithConn(bg, s))
}
