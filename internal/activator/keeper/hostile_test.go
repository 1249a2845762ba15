package keeper

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// TestKeeperRefusesHostilePeers: a peer of another uid, or one that does
// not start with a take, gets no descriptor and its connection closed;
// the keeper goes on serving the activator.
func TestKeeperRefusesHostilePeers(t *testing.T) {
	tests := []struct {
		name  string
		tweak func(*Keeper)
		send  string
	}{
		{"another uid", func(k *Keeper) { k.uid = os.Getuid() + 1 }, "take\n"},
		{"garbage", nil, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"},
		{"a release before a take", nil, "release\n"},
		{"a line too long", nil, strings.Repeat("t", 2*maxLine)},
		{"a take without its newline, then EOF", nil, "take"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := startKeeper(t, time.Second, tt.tweak)
			c := dialUnix(t, k.socket)
			_, _ = c.Write([]byte(tt.send))
			_ = c.CloseWrite()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			buf, oob := make([]byte, maxLine), make([]byte, syscall.CmsgSpace(maxListeners*4))
			n, oobn, _, _, err := c.ReadMsgUnix(buf, oob)
			if n > 0 || oobn > 0 || err == nil {
				t.Fatalf("hostile peer got %q and %d bytes of control data (%v), want the connection closed", buf[:max(n, 0)], oobn, err)
			}
			if tt.tweak != nil {
				return // the test's own uid is the other one
			}
			l := take(t, k.socket)
			if len(l.Listeners()) != 1 {
				t.Fatalf("after a hostile peer: %d listeners, want 1", len(l.Listeners()))
			}
		})
	}
}

// TestGarbageEndsLease: a line other than release on a lease ends it; the
// keeper keeps its sockets.
func TestGarbageEndsLease(t *testing.T) {
	k := startKeeper(t, time.Second, nil)
	l := take(t, k.socket)
	_ = l.listeners[0].Close()
	if _, err := l.conn.Write([]byte("bogus\n")); err != nil {
		t.Fatal(err)
	}
	_ = l.conn.SetDeadline(time.Now().Add(10 * time.Second))
	if n, err := l.conn.Read(make([]byte, 1)); n > 0 || err == nil {
		t.Fatalf("lease after garbage: read %d, %v; want closed", n, err)
	}
	conn, err := net.Dial("tcp", k.Addrs()[0])
	if err != nil {
		t.Fatalf("connect after a lease ended on garbage: %v, want queued", err)
	}
	_ = conn.Close()
}

// TestTakeRefusesHostileKeeper: whatever a keeper answers that is not
// its announced number of listening TCP sockets fails Take, and every
// descriptor received is closed.
func TestTakeRefusesHostileKeeper(t *testing.T) {
	tests := []struct {
		name   string
		header string
		fds    func(t *testing.T) []int
	}{
		{"no answer", "", nil},
		{"text without descriptors", "hello\n", nil},
		{"a header without descriptors", header(1), nil},
		{"a header for fewer descriptors", header(1), func(t *testing.T) []int { return []int{listeningFD(t), listeningFD(t)} }},
		{"a header for more descriptors", header(2), func(t *testing.T) []int { return []int{listeningFD(t)} }},
		{"a header out of range", headerPrefix + "9\n", func(t *testing.T) []int { return []int{listeningFD(t)} }},
		{"another version", "wake-keeper/2 1\n", func(t *testing.T) []int { return []int{listeningFD(t)} }},
		{"a file", header(1), func(t *testing.T) []int { return []int{fileFD(t)} }},
		{"a connected TCP socket", header(1), func(t *testing.T) []int { return []int{connectedFD(t)} }},
		{"a UDP socket", header(1), func(t *testing.T) []int { return []int{udpFD(t)} }},
		{"a listener then a file", header(2), func(t *testing.T) []int { return []int{listeningFD(t), fileFD(t)} }},
		{"too many descriptors", header(maxListeners), func(t *testing.T) []int {
			fds := make([]int, maxListeners+1)
			for i := range fds {
				fds[i] = fileFD(t)
			}
			return fds
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := openFDs(t)
			socket, stop := fakeKeeper(t, tt.header, tt.fds)
			_, err := Take(context.Background(), socket, 5*time.Second)
			stop()
			if err == nil {
				t.Fatal("Take succeeded")
			}
			t.Log(err)
			if after := openFDs(t); after != before {
				t.Errorf("%d descriptors open after a refused take, %d before", after, before)
			}
		})
	}
}

// TestTakeWaitsForKeeper: Take tries again while the keeper is not up
// (containers start in parallel), up to its wait.
func TestTakeWaitsForKeeper(t *testing.T) {
	dir, err := os.MkdirTemp("", "keeper")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	socket := filepath.Join(dir, "k.sock")

	if _, err := Take(context.Background(), socket, 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), socket) {
		t.Fatalf("Take with no keeper: %v, want an error naming the socket", err)
	}
	stale, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	stale.SetUnlinkOnClose(false)
	_ = stale.Close()
	if _, err := Take(context.Background(), socket, 300*time.Millisecond); err == nil || !strings.Contains(err.Error(), socket) {
		t.Fatalf("Take from a dead keeper's socket: %v, want an error naming it", err)
	}

	type result struct {
		l   *Lease
		err error
	}
	got := make(chan result, 1)
	go func() {
		l, err := Take(context.Background(), socket, 30*time.Second)
		got <- result{l, err}
	}()
	k, err := New(Options{Socket: socket, Addrs: []string{"127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	r := <-got
	if r.err != nil {
		t.Fatalf("Take started before the keeper: %v", r.err)
	}
	_ = r.l.Close()
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// fakeKeeper answers one take on a new socket with header and the
// descriptors fds returns (nil: none; an empty header: it closes). stop
// closes all it opened.
func fakeKeeper(t *testing.T, header string, fds func(*testing.T) []int) (socket string, stop func()) {
	t.Helper()
	dir, err := os.MkdirTemp("", "keeper")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	socket = filepath.Join(dir, "k.sock")
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: socket, Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	var send []int
	if fds != nil {
		send = fds(t)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer closeFDs(send)
		c, err := ln.AcceptUnix()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		_, _ = readLine(newLineReader(c))
		if header != "" || send != nil {
			var oob []byte
			if send != nil {
				oob = syscall.UnixRights(send...)
			}
			_, _, _ = c.WriteMsgUnix([]byte(header), oob, nil)
		}
	}()
	return socket, func() { _ = ln.Close(); <-done }
}

// openFDs counts the process's open descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// rawFD returns a duplicate of c's descriptor, outside Go's poller.
func rawFD(t *testing.T, c syscall.Conn) int {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	fd := -1
	var derr error
	if err := raw.Control(func(s uintptr) { fd, derr = syscall.Dup(int(s)) }); err != nil || derr != nil {
		t.Fatal(err, derr)
	}
	return fd
}

func listeningFD(t *testing.T) int {
	fd, _, err := listen("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

func fileFD(t *testing.T) int {
	fd, err := syscall.Open(os.DevNull, syscall.O_RDONLY|syscall.O_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fd
}

// connectedFD returns a duplicate of a connected TCP socket's descriptor;
// the connection's own descriptors are closed before it returns, so that
// the test's count of open descriptors sees only the duplicate.
func connectedFD(t *testing.T) int {
	c, s := testutil.TCPPair(t)
	defer func() { _ = c.Close(); _ = s.Close() }()
	return rawFD(t, c)
}

func udpFD(t *testing.T) int {
	c, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	return rawFD(t, c.(*net.UDPConn))
}

// dialUnix connects to a keeper's socket.
func dialUnix(t *testing.T, socket string) *net.UnixConn {
	t.Helper()
	c, err := net.Dial("unix", socket)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c.(*net.UnixConn)
}
