package handler_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// bigPod serves /big: 64 MiB, far more than the loopback socket buffers
// hold, and "ok" elsewhere. started receives a value when /big begins.
func bigPod(t *testing.T, started chan<- struct{}) *httptest.Server {
	chunk := []byte(strings.Repeat("x", 32<<10))
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		if r.URL.Path != "/big" {
			_, _ = io.WriteString(w, "ok")
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(64<<20))
		select {
		case started <- struct{}{}:
		default:
		}
		for range (64 << 20) / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				return
			}
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// dialNonReader connects to addr with a small receive buffer; the caller
// never reads from the connection.
func dialNonReader(t *testing.T, addr string) net.Conn {
	t.Helper()
	d := net.Dialer{Control: func(_, _ string, c syscall.RawConn) error {
		var serr error
		err := c.Control(func(fd uintptr) { serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 4096) })
		if err != nil {
			return err
		}
		return serr
	}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestClientThatStopsReadingFreesSlot: a client that asks for a large
// answer and never reads it holds the only slot of a containerConcurrency
// 1 revision no longer than the write grace; a normal request that queued
// behind it is answered within the revision's timeout (issue 9: it got 504
// after the full timeout, and the slot stayed held).
func TestClientThatStopsReadingFreesSlot(t *testing.T) {
	e := newEnv(t)
	started := make(chan struct{}, 1)
	pod := bigPod(t, started)
	key := e.revision("fn", 1, 10, 10, hostOf(pod))

	c := dialNonReader(t, e.addr)
	if _, err := io.WriteString(c, "GET /big HTTP/1.1\r\nHost: fn.test\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-started:
	case <-time.After(5 * time.Second):
		t.Fatal("the large answer never started")
	}
	begin := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	code, _, body, err := e.do(ctx, "GET", "fn.test", "/")
	if err != nil || code != 200 || body != "ok" {
		t.Fatalf("normal request after %v: %d %q %v; want 200 ok", time.Since(begin), code, body, err)
	}
	t.Logf("normal request answered after %v", time.Since(begin))
	if st, _ := e.th.Stats(key); st.InFlight != 0 {
		t.Errorf("%d in flight after both requests, want 0", st.InFlight)
	}
}

// TestTrickledBodyGets408: a client that sends its body one byte at a time,
// each within the body idle timeout, is answered 408 once its average rate
// after the grace falls below the minimum, and frees the slot (before, it
// could hold it for as long as the revision's timeout).
func TestTrickledBodyGets408(t *testing.T) {
	e := newEnv(t)
	pod := okBackend(t)
	e.revision("fn", 1, 10, 30, hostOf(pod))
	c, err := net.Dial("tcp", e.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	const size = 200
	if _, err := fmt.Fprintf(c, "POST / HTTP/1.1\r\nHost: fn.test\r\nContent-Length: %d\r\n\r\n", size); err != nil {
		t.Fatal(err)
	}
	go func() {
		// One byte every 100ms: within the 300ms idle timeout, far below
		// the minimum rate.
		for range size {
			if _, err := io.WriteString(c, "x"); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	begin := time.Now()
	if err := c.SetReadDeadline(time.Now().Add(12 * time.Second)); err != nil {
		t.Fatal(err)
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer after %v: %v", time.Since(begin), err)
	}
	_ = res.Body.Close()
	if res.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("got %d after %v, want 408", res.StatusCode, time.Since(begin))
	}
	t.Logf("408 after %v", time.Since(begin))
	if code, _, body := e.get("fn.test", "/"); code != 200 || body != "ok" {
		t.Errorf("next request: %d %q", code, body)
	}
}
