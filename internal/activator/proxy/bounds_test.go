package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// headerLines returns header lines "X-Pad-N: aaa…\r\n" totalling about n bytes.
func headerLines(n int) string {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "X-Pad-%d: %s\r\n", i, strings.Repeat("a", 1000))
	}
	return b.String()
}

// sendBody is send for a request with a body (the http.Transport path);
// it returns 0 when the front broke the connection.
func sendMethod(f *front, method string) (int, string) {
	var body io.Reader
	if method == "POST" {
		body = strings.NewReader("payload")
	}
	req, _ := http.NewRequest(method, f.URL, body)
	res, err := f.Client().Do(req)
	if err != nil {
		return 0, err.Error()
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	return res.StatusCode, string(b)
}

// TestPodAnswerHeadBounds: a pod's answer heads (1xx ones included) are
// bounded by DefaultMaxHeaderBytes together, and there are at most max1xx
// informational answers; beyond either the client gets 502 and the pod's
// connection is closed. Both the body-less client (GET) and http.Transport
// (POST) are held to it.
func TestPodAnswerHeadBounds(t *testing.T) {
	const limit = 64 << 10 // DefaultMaxHeaderBytes, the limit for requests too
	endless := func(c net.Conn) {
		// Headers without end, up to 8 MiB (a bound for the test's sake).
		_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n")
		line := []byte("X-Endless: " + strings.Repeat("b", 4000) + "\r\n")
		for n := 0; n < 8<<20; n += len(line) {
			if _, err := c.Write(line); err != nil {
				return
			}
		}
		time.Sleep(10 * time.Second) // then silence
	}
	tests := []struct {
		name   string
		answer func(c net.Conn)
		code   int
	}{
		{"small", func(c net.Conn) { _, _ = io.WriteString(c, okAnswer) }, 200},
		{"headers just under the limit", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n"+headerLines(limit-2000)+"Content-Length: 2\r\n\r\nok")
		}, 200},
		{"1 MiB of headers", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n"+headerLines(1<<20)+"Content-Length: 2\r\n\r\nok")
		}, 502},
		{"endless headers", endless, 502},
		{"1xx heads count towards the limit", func(c net.Conn) {
			_, _ = io.WriteString(c, "HTTP/1.1 103 Early Hints\r\n"+headerLines(limit/2)+"\r\n")
			_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\n"+headerLines(limit/2)+"Content-Length: 2\r\n\r\nok")
		}, 502},
		{"5 informational answers", func(c net.Conn) {
			_, _ = io.WriteString(c, strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 5)+okAnswer)
		}, 200},
		{"6 informational answers", func(c net.Conn) {
			_, _ = io.WriteString(c, strings.Repeat("HTTP/1.1 103 Early Hints\r\n\r\n", 6)+okAnswer)
		}, 502},
		{"endless informational answers", func(c net.Conn) {
			for range 1 << 16 {
				if _, err := io.WriteString(c, "HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"); err != nil {
					return
				}
			}
			_, _ = io.WriteString(c, okAnswer)
		}, 502},
	}
	for _, tc := range tests {
		for _, method := range []string{"GET", "POST"} {
			t.Run(tc.name+"/"+method, func(t *testing.T) {
				pod := newRawPod(t, func(_ int, c net.Conn, br *bufio.Reader) {
					for readRequest(br) {
						tc.answer(c)
					}
				})
				f := newFront(t, Options{}, pod.addr)
				f.Client().Timeout = 5 * time.Second
				want := tc.code
				if method == "POST" && tc.name == "6 informational answers" {
					// http.Transport bounds 1xx answers by their bytes
					// (within the 64 KiB of all heads), not their number.
					want = 200
				}
				code, body := sendMethod(f, method)
				if code != want {
					t.Fatalf("got %d %q, want %d", code, body, want)
				}
				if code == 200 {
					return
				}
				// Classified so that the throttler ejects the pod.
				if pe := f.lastErr.Load(); pe == nil || pe.Kind != KindBadAnswer {
					t.Errorf("error %v, want kind bad-answer", pe)
				}
				// The pod's connection is closed, not kept for another request.
				testutil.Eventually(t, 10*time.Second, "pod connection closed", func() bool { return pod.closing.Load() == pod.conns.Load() })
			})
		}
	}
}

// TestInvalidStatusIsBadGateway: a status the HTTP client accepts but that
// is no valid final status (below 200, above 599) is a 502, not a panic.
func TestInvalidStatusIsBadGateway(t *testing.T) {
	for _, status := range []string{"000", "099", "600", "999"} {
		for _, method := range []string{"GET", "POST"} {
			t.Run(status+"/"+method, func(t *testing.T) {
				pod := newRawPod(t, func(_ int, c net.Conn, br *bufio.Reader) {
					if readRequest(br) {
						_, _ = io.WriteString(c, "HTTP/1.1 "+status+" Odd\r\nContent-Length: 2\r\n\r\nok")
					}
				})
				f := newFront(t, Options{}, pod.addr)
				f.Client().Timeout = 5 * time.Second
				if code, body := sendMethod(f, method); code != http.StatusBadGateway {
					t.Fatalf("got %d %q, want 502", code, body)
				}
				if pe := f.lastErr.Load(); pe == nil || pe.Kind != KindBadAnswer || pe.Written {
					t.Fatalf("error %v, want kind bad-answer before anything was written", pe)
				}
			})
		}
	}
}
