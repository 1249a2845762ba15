package keeper

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
)

// keeperUnderTest is a running Keeper and what its tests need of it.
type keeperUnderTest struct {
	*Keeper
	socket string
	stop   context.CancelFunc
	done   chan error // Run's result
}

// startKeeper runs a keeper holding one socket on a loopback port, with
// tweak applied before Run; the test's end stops it.
func startKeeper(t *testing.T, termWait time.Duration, tweak func(*Keeper)) *keeperUnderTest {
	t.Helper()
	dir, err := os.MkdirTemp("", "keeper") // short: a socket path has at most 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	socket := filepath.Join(dir, "k.sock")
	k, err := New(Options{Socket: socket, Addrs: []string{"127.0.0.1:0"}, TermWait: termWait, Log: testr.New(t)})
	if err != nil {
		t.Fatal(err)
	}
	if tweak != nil {
		tweak(k)
	}
	ctx, stop := context.WithCancel(context.Background())
	kt := &keeperUnderTest{Keeper: k, socket: socket, stop: stop, done: make(chan error, 1)}
	go func() { kt.done <- k.Run(ctx) }()
	t.Cleanup(func() {
		stop()
		select {
		case err := <-kt.done:
			if err != nil {
				t.Errorf("keeper: %v", err)
			}
		case <-time.After(2 * termWait):
			t.Error("keeper did not stop")
		}
	})
	return kt
}

// take takes the keeper's listeners, failing t if it cannot.
func take(t *testing.T, socket string) *Lease {
	t.Helper()
	l, err := Take(context.Background(), socket, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// serve answers "ok" on ln until the test ends.
func serve(t *testing.T, ln net.Listener) {
	s := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") }), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.Serve(ln) }()
	t.Cleanup(func() { _ = s.Close() })
}

// get sends GET / to addr on a new connection, made before the request
// is written (dial), and returns the answer's body.
func get(conn net.Conn) (string, error) {
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"); err != nil {
		return "", err
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return "", err
	}
	_, body, _ := strings.Cut(string(b), "\r\n\r\n")
	return body, nil
}

// TestQueuedConnectionServed: a connection made while nobody accepts is
// queued in the keeper's socket and answered by whoever takes it next.
func TestQueuedConnectionServed(t *testing.T) {
	k := startKeeper(t, time.Second, nil)
	conn, err := net.Dial("tcp", k.Addrs()[0])
	if err != nil {
		t.Fatalf("connect with no activator: %v, want queued", err)
	}
	defer func() { _ = conn.Close() }()
	l := take(t, k.socket)
	serve(t, l.Listeners()[0])
	if body, err := get(conn); err != nil || body != "ok" {
		t.Fatalf("queued connection: %q, %v; want ok", body, err)
	}
}

// TestLeaseEndKeepsSockets: an activator that goes away without releasing
// (a crash) leaves the sockets open for the next one.
func TestLeaseEndKeepsSockets(t *testing.T) {
	k := startKeeper(t, time.Second, nil)
	first := take(t, k.socket)
	ln := first.Listeners()[0].(*releasing).Listener
	_ = ln.Close() // its own copy, without releasing
	_ = first.Close()
	conn, err := net.Dial("tcp", k.Addrs()[0])
	if err != nil {
		t.Fatalf("connect after the activator died: %v, want queued", err)
	}
	defer func() { _ = conn.Close() }()
	serve(t, take(t, k.socket).Listeners()[0])
	if body, err := get(conn); err != nil || body != "ok" {
		t.Fatalf("queued connection: %q, %v; want ok", body, err)
	}
}

// TestRelease: closing a taken listener releases the keeper's copy, so
// the port refuses connections; the next take opens it again, on the same
// address.
func TestRelease(t *testing.T) {
	k := startKeeper(t, time.Second, nil)
	addr := k.Addrs()[0]
	l := take(t, k.socket)
	if err := l.Listeners()[0].Close(); err != nil {
		t.Fatal(err)
	}
	if c, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			_ = c.Close()
		}
		t.Fatalf("connect after release: %v, want refused", err)
	}
	next := take(t, k.socket)
	serve(t, next.Listeners()[0])
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	if body, err := get(conn); err != nil || body != "ok" {
		t.Fatalf("after taking again: %q, %v; want ok", body, err)
	}
}

// TestStopWaitsForLease: a keeper told to stop keeps its sockets while an
// activator holds them, closes them once it is gone, and stops; or stops
// after TermWait if it never goes.
func TestStopWaitsForLease(t *testing.T) {
	t.Run("until the activator exits", func(t *testing.T) {
		k := startKeeper(t, time.Minute, nil)
		l := take(t, k.socket)
		_ = l.listeners[0].Close()
		k.stop()
		conn, err := net.Dial("tcp", k.Addrs()[0])
		if err != nil {
			t.Fatalf("connect while stopping with a lease held: %v, want queued", err)
		}
		_ = conn.Close()
		select {
		case err := <-k.done:
			t.Fatalf("keeper stopped with a lease held: %v", err)
		default:
		}
		_ = l.Close()
		waitStopped(t, k, 10*time.Second)
	})
	t.Run("at most TermWait", func(t *testing.T) {
		k := startKeeper(t, 200*time.Millisecond, nil)
		l := take(t, k.socket)
		_ = l.listeners[0].Close()
		k.stop()
		waitStopped(t, k, 10*time.Second)
	})
}

// waitStopped waits for k's Run to return, then checks the port refuses.
func waitStopped(t *testing.T, k *keeperUnderTest, within time.Duration) {
	t.Helper()
	select {
	case err := <-k.done:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(within):
		t.Fatal("keeper did not stop")
	}
	k.done <- nil // for the cleanup
	if c, err := net.Dial("tcp", k.Addrs()[0]); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			_ = c.Close()
		}
		t.Fatalf("connect after the keeper stopped: %v, want refused", err)
	}
	if _, err := os.Stat(k.socket); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("keeper socket left behind: %v", err)
	}
}
