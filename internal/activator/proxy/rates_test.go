package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestResponseWriteDeadline: what the response write deadline cuts off and
// what it leaves alone, with a short grace.
func TestResponseWriteDeadline(t *testing.T) {
	const grace = 500 * time.Millisecond
	chunk := strings.Repeat("z", 32<<10)
	tests := []struct {
		name string
		pod  http.HandlerFunc
		// read is how the client reads: nil never reads.
		read func(r io.Reader) (int64, error)
		cut  bool // Serve must fail with KindCanceled
		size int64
	}{
		{
			name: "small answer, pod pauses longer than the grace before its end",
			pod: func(w http.ResponseWriter, _ *http.Request) {
				_, _ = io.WriteString(w, "a")
				w.(http.Flusher).Flush()
				time.Sleep(3 * grace)
				_, _ = io.WriteString(w, "b")
			},
			read: func(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) },
			size: 2,
		},
		{
			name: "client never reads a large answer",
			pod: func(w http.ResponseWriter, _ *http.Request) {
				for range 2048 { // 64 MiB
					if _, err := io.WriteString(w, chunk); err != nil {
						return
					}
				}
			},
			cut: true,
		},
		{
			name: "slow pod, pauses longer than the grace",
			pod: func(w http.ResponseWriter, _ *http.Request) {
				for range 3 {
					_, _ = io.WriteString(w, "tick\n")
					w.(http.Flusher).Flush()
					time.Sleep(3 * grace)
				}
			},
			read: func(r io.Reader) (int64, error) { return io.Copy(io.Discard, r) },
			size: 15,
		},
		{
			name: "client reading steadily at 1 MiB/s",
			pod: func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Length", fmt.Sprint(4<<20))
				for range 128 {
					if _, err := io.WriteString(w, chunk); err != nil {
						return
					}
				}
			},
			read: func(r io.Reader) (int64, error) {
				var n int64
				buf := make([]byte, 32<<10)
				for {
					m, err := r.Read(buf)
					n += int64(m)
					if err == io.EOF {
						return n, nil
					}
					if err != nil {
						return n, err
					}
					time.Sleep(time.Duration(m) * time.Second / (1 << 20))
				}
			},
			size: 4 << 20,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := backend(t, tc.pod)
			p := New(Options{WriteGrace: grace})
			defer p.CloseIdleConnections()
			done := make(chan error, 1)
			srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				done <- p.Serve(p.Prepare(r.Context(), w, r, HTTP1), addr(be)())
			}), ConnContext: func(ctx context.Context, c net.Conn) context.Context { LimitUnsent(c); return ctx }}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			go func() { _ = srv.Serve(ln) }()
			defer func() { _ = srv.Close() }()
			c, err := net.Dial("tcp", ln.Addr().String())
			if err != nil {
				t.Fatal(err)
			}
			defer func() { _ = c.Close() }()
			if tc.read == nil {
				setBuf(t, c.(*net.TCPConn), syscall.SO_RCVBUF, 4096)
			}
			if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: fn.test\r\n\r\n"); err != nil {
				t.Fatal(err)
			}
			if tc.read != nil {
				res, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil {
					t.Fatal(err)
				}
				n, err := tc.read(res.Body)
				if err != nil || n != tc.size {
					select {
					case serr := <-done:
						t.Logf("Serve: %v", serr)
					case <-time.After(time.Second):
					}
					t.Fatalf("read %d bytes, %v; want %d", n, err, tc.size)
				}
			}
			select {
			case err := <-done:
				var pe *Error
				switch {
				case tc.cut && (!errors.As(err, &pe) || pe.Kind != KindCanceled):
					t.Fatalf("Serve = %v, want the client cut off", err)
				case !tc.cut && err != nil:
					t.Fatalf("Serve = %v, want success", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Serve still running after 10s")
			}
		})
	}
}

// TestRequestBodyRate: what the request body's minimum rate cuts off (408)
// and what it leaves alone, with a short grace.
func TestRequestBodyRate(t *testing.T) {
	readAll := func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		_, _ = w.Write(b)
	}
	answerFirst := func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		_, _ = io.Copy(w, r.Body)
	}
	tests := []struct {
		name        string
		pod         http.HandlerFunc
		contentType string
		trickle     bool
		tooSlow     bool // KindClientTimeout (the handler's 408), else 200
	}{
		{"fast upload", readAll, "", false, false},
		{"trickled body, pod waits for all of it", readAll, "", true, true},
		{"trickled body after the pod answered", answerFirst, "", true, false},
		{"trickled gRPC stream", readAll, "application/grpc", true, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			be := backend(t, tc.pod)
			f := newFront(t, Options{BodyGrace: 200 * time.Millisecond, MinBodyRate: 1 << 10, BodyIdleTimeout: 5 * time.Second}, addr(be))
			pr, pw := io.Pipe()
			go func() {
				for range 20 {
					if _, err := io.WriteString(pw, "x"); err != nil {
						return
					}
					if tc.trickle {
						time.Sleep(50 * time.Millisecond) // 20 B/s
					}
				}
				_ = pw.Close()
			}()
			req, _ := http.NewRequest("POST", f.URL, pr)
			if tc.contentType != "" {
				req.Header.Set("Content-Type", tc.contentType)
			}
			res, err := f.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(res.Body)
			_ = res.Body.Close()
			_ = pr.CloseWithError(errors.New("test over"))
			if tc.tooSlow {
				if pe := f.lastErr.Load(); pe == nil || pe.Kind != KindClientTimeout || pe.Written {
					t.Fatalf("got %d, error %v; want a client timeout before any answer", res.StatusCode, pe)
				}
				return
			}
			if res.StatusCode != 200 || string(b) != strings.Repeat("x", 20) {
				t.Fatalf("got %d %q, want 200 with the 20 bytes sent", res.StatusCode, b)
			}
		})
	}
}
