package handler_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestUpgradeThroughGuard: after a 101 the connection is a tunnel: bytes
// that would be a refused head in HTTP/1.1 reach the pod verbatim, and the
// 101 is not marked "Connection: close".
func TestUpgradeThroughGuard(t *testing.T) {
	const tunnelled = "POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n"
	pod := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = c.Close() }()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
		_ = brw.Flush()
		buf := make([]byte, len(tunnelled))
		if _, err := io.ReadFull(brw, buf); err == nil {
			_, _ = c.Write(buf) // echo
		}
	}))
	t.Cleanup(pod.Close)
	e := newEnv(t)
	e.revision("ws", 0, 100, 10, hostOf(pod))

	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.WriteString(c, "GET / HTTP/1.1\r\nHost: ws.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n")
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 101 || res.Header.Get("Connection") != "Upgrade" {
		t.Fatalf("got %d Connection=%q, want 101 Upgrade", res.StatusCode, res.Header.Get("Connection"))
	}
	_, _ = io.WriteString(c, tunnelled)
	got := make([]byte, len(tunnelled))
	if _, err := io.ReadFull(br, got); err != nil || string(got) != tunnelled {
		t.Fatalf("echo %q, %v; want the tunnelled bytes back", got, err)
	}
}
