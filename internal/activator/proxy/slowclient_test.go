package proxy

import (
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// setBuf sets a socket buffer option on c.
func setBuf(t *testing.T, c syscall.Conn, opt, size int) {
	t.Helper()
	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, opt, size) }); err != nil || serr != nil {
		t.Fatal(err, serr)
	}
}

// smallSendBuffers accepts connections with a small send buffer, so that a
// client that does not read blocks the server's writes after a few KiB.
type smallSendBuffers struct {
	net.Listener
	t *testing.T
}

func (l smallSendBuffers) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		setBuf(l.t, c.(*net.TCPConn), syscall.SO_SNDBUF, 4096)
	}
	return c, err
}

// TestUpgradeAnswerWriteHasDeadline: the 101 answer (a large one here) to a
// client that never reads it is abandoned after the write grace, so the
// handler returns and frees its slot; before, it stayed blocked for as
// long as the client kept the connection open.
func TestUpgradeAnswerWriteHasDeadline(t *testing.T) {
	pad := strings.Repeat("X-Pad: "+strings.Repeat("p", 1000)+"\r\n", 60) // under the 64 KiB limit
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" + pad + "\r\n")
		_ = brw.Flush()
		_, _ = io.Copy(io.Discard, brw) // until the proxy closes
	})
	done := make(chan error, 1)
	p := New(Options{})
	defer p.CloseIdleConnections()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done <- p.Serve(p.Prepare(r.Context(), w, r, HTTP1), addr(be)())
	})}
	go func() { _ = srv.Serve(smallSendBuffers{ln, t}) }()
	defer func() { _ = srv.Close() }()

	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	setBuf(t, c.(*net.TCPConn), syscall.SO_RCVBUF, 4096)
	if _, err := io.WriteString(c, "GET /ws HTTP/1.1\r\nHost: fn.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	begin := time.Now()
	select {
	case err := <-done:
		pe, ok := err.(*Error)
		if !ok || pe.Kind != KindCanceled || !strings.Contains(pe.Error(), "write 101") {
			t.Fatalf("Serve = %v, want a failed 101 write", err)
		}
		t.Logf("handler returned after %v", time.Since(begin))
	case <-time.After(15 * time.Second):
		t.Fatal("handler still writing the 101 to a client that does not read, 15s on")
	}
}
