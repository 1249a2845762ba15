package proxy

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// rawPod accepts connections on 127.0.0.1 and runs script on each with its
// index (from 0); script reads requests and writes answers by hand.
type rawPod struct {
	ln             net.Listener
	conns, closing atomic.Int32 // accepted; closed by the pod
	wg             sync.WaitGroup
}

func newRawPod(t *testing.T, script func(i int, c net.Conn, br *bufio.Reader)) *rawPod {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &rawPod{ln: ln}
	p.wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			i := int(p.conns.Add(1)) - 1
			p.wg.Go(func() {
				script(i, c, bufio.NewReader(c))
				_ = c.Close()
				p.closing.Add(1)
			})
		}
	})
	t.Cleanup(func() { _ = ln.Close(); p.wg.Wait() })
	return p
}

func (p *rawPod) addr() string { return p.ln.Addr().String() }

// readRequest reads one request head (no body) and reports whether it did.
func readRequest(br *bufio.Reader) bool {
	req, err := http.ReadRequest(br)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, req.Body)
	return true
}

const okAnswer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// send sends one request through f and returns status and body (0 on a
// transport error).
func send(t *testing.T, f *front, method string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, f.URL, nil)
	res, err := f.Client().Do(req)
	if err != nil {
		t.Fatalf("%s: %v", method, err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return res.StatusCode, string(b)
}

// TestPodClosesKeptConnection: a pooled connection that the pod closed is
// never used for a request; one the pod drops a request on is replaced
// once for a request that is safe to send again, and fails with 502
// otherwise.
func TestPodClosesKeptConnection(t *testing.T) {
	tests := []struct {
		name   string
		script func(i int, c net.Conn, br *bufio.Reader)
		method string
		code   int
		conns  int32
		// podCloses: the pod closes the first connection before the
		// second request is sent.
		podCloses bool
	}{
		{
			name: "closed while idle, GET",
			script: func(_ int, c net.Conn, br *bufio.Reader) {
				if readRequest(br) {
					_, _ = io.WriteString(c, okAnswer) // then close, without saying so
				}
			},
			method: "GET", code: 200, conns: 2, podCloses: true,
		},
		{
			name: "closed while idle, POST",
			script: func(_ int, c net.Conn, br *bufio.Reader) {
				if readRequest(br) {
					_, _ = io.WriteString(c, okAnswer)
				}
			},
			method: "POST", code: 200, conns: 2, podCloses: true,
		},
		{
			name:   "request dropped on reused connection, GET is sent again",
			script: dropSecondRequest,
			method: "GET", code: 200, conns: 2,
		},
		{
			name:   "request dropped on reused connection, POST fails",
			script: dropSecondRequest,
			method: "POST", code: 502, conns: 1,
		},
		{
			name: "Connection: close is honoured",
			script: func(_ int, c net.Conn, br *bufio.Reader) {
				if readRequest(br) {
					_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok")
					// Keep the connection open: only the header says it is done.
					readRequest(br)
				}
			},
			method: "GET", code: 200, conns: 2,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := newRawPod(t, tc.script)
			f := newFront(t, Options{}, pod.addr)
			if code, body := send(t, f, tc.method); code != 200 || body != "ok" {
				t.Fatalf("first request: %d %q", code, body)
			}
			if tc.podCloses {
				testutil.Eventually(t, 10*time.Second, "the pod closing its connection", func() bool { return pod.closing.Load() == 1 })
			}
			if code, _ := send(t, f, tc.method); code != tc.code {
				t.Errorf("second request: %d, want %d", code, tc.code)
			}
			if n := pod.conns.Load(); n != tc.conns {
				t.Errorf("pod saw %d connections, want %d", n, tc.conns)
			}
		})
	}
}

// dropSecondRequest answers the first request on connection 0, then reads
// the second and closes without answering, as a pod closing an idle
// connection at the moment a request arrives does. Later connections
// answer everything.
func dropSecondRequest(i int, c net.Conn, br *bufio.Reader) {
	for n := 0; readRequest(br); n++ {
		if i == 0 && n == 1 {
			return
		}
		_, _ = io.WriteString(c, okAnswer)
	}
}

// TestInformationalAnswersSkipped: a 103 before the answer is not relayed
// and the connection stays usable.
func TestInformationalAnswersSkipped(t *testing.T) {
	pod := newRawPod(t, func(_ int, c net.Conn, br *bufio.Reader) {
		for readRequest(br) {
			_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"+okAnswer)
		}
	})
	f := newFront(t, Options{}, pod.addr)
	for range 3 {
		if code, body := send(t, f, "GET"); code != 200 || body != "ok" {
			t.Fatalf("got %d %q, want 200 ok", code, body)
		}
	}
	if n := pod.conns.Load(); n != 1 {
		t.Errorf("pod saw %d connections, want 1", n)
	}
}

// TestUnaskedUpgradeIsBadGateway: a 101 to a request that asked for no
// upgrade is the pod's fault.
func TestUnaskedUpgradeIsBadGateway(t *testing.T) {
	pod := newRawPod(t, func(_ int, c net.Conn, br *bufio.Reader) {
		if readRequest(br) {
			_, _ = io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		}
	})
	f := newFront(t, Options{}, pod.addr)
	if code, _ := send(t, f, "GET"); code != http.StatusBadGateway {
		t.Fatalf("got %d, want 502", code)
	}
	if pe := f.lastErr.Load(); pe == nil || pe.Kind != KindBadAnswer {
		t.Fatalf("error %v, want kind bad-answer", pe)
	}
}

// TestInterruptedAnswerClosesConnection: a request whose deadline passes
// while the body streams leaves no connection behind for the next one.
func TestInterruptedAnswerClosesConnection(t *testing.T) {
	pod := newRawPod(t, func(i int, c net.Conn, br *bufio.Reader) {
		for readRequest(br) {
			if i == 0 {
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\npart")
				continue // the rest never comes
			}
			_, _ = io.WriteString(c, okAnswer)
		}
	})
	p := New(Options{})
	defer p.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	rec := httptest.NewRecorder()
	pr := p.Prepare(ctx, rec, httptest.NewRequest("GET", "http://fn.test/", nil), HTTP1)
	var pe *Error
	if err := p.Serve(pr, pod.addr()); !errors.As(err, &pe) || pe.Kind != KindTimeout {
		t.Fatalf("Serve = %v, want a timeout", err)
	}
	rec = httptest.NewRecorder()
	pr = p.Prepare(context.Background(), rec, httptest.NewRequest("GET", "http://fn.test/", nil), HTTP1)
	if err := p.Serve(pr, pod.addr()); err != nil || rec.Body.String() != "ok" {
		t.Fatalf("next request: %v %q", err, rec.Body.String())
	}
	if n := pod.conns.Load(); n != 2 {
		t.Errorf("pod saw %d connections, want 2", n)
	}
}

// TestIdleConnectionsExpire: connections idle for IdleConnTimeout are
// closed without another request coming.
func TestIdleConnectionsExpire(t *testing.T) {
	closed := make(chan struct{})
	pod := newRawPod(t, func(_ int, c net.Conn, br *bufio.Reader) {
		for readRequest(br) {
			_, _ = io.WriteString(c, okAnswer)
		}
		close(closed) // the proxy closed the connection
	})
	f := newFront(t, Options{IdleConnTimeout: 50 * time.Millisecond}, pod.addr)
	if code, _ := send(t, f, "GET"); code != 200 {
		t.Fatalf("got %d", code)
	}
	select {
	case <-closed:
	case <-time.After(5 * time.Second):
		t.Fatal("idle connection still open 5s after its 50ms idle timeout")
	}
}
