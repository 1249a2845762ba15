package handler_test

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/testutil"
)

// echoPod answers at once, then echoes the request body as it reads it,
// flushing every piece, while still reading: a full-duplex function.
func echoPod(t *testing.T, proto routing.Protocol) *httptest.Server {
	t.Helper()
	return testutil.SingleProtocolServer(t, proto == routing.ProtocolH2C, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = http.NewResponseController(w).EnableFullDuplex()
		w.Header().Set("Content-Type", "application/grpc")
		w.WriteHeader(200)
		w.(http.Flusher).Flush()
		buf := make([]byte, 16<<10)
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				if _, werr := w.Write(buf[:n]); werr != nil {
					return
				}
				w.(http.Flusher).Flush()
			}
			if err != nil {
				break
			}
		}
		w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
	}))
}

// duplexPaths returns the ways to reach revision ns/fn served by pod:
// through one activator, and through an activator without share that
// forwards to the owner over HTTP/1.1.
func duplexPaths(t *testing.T, pod *httptest.Server, proto routing.Protocol) map[string]string {
	t.Helper()
	one := newEnv(t)
	one.register(routing.RevisionInput{Key: types.NamespacedName{Namespace: "ns", Name: "fn"}, TimeoutSeconds: 30, Protocol: proto}, 0, 10, hostOf(pod))
	zero, _ := twoActivatorsProto(t, hostOf(pod), proto)
	return map[string]string{"one activator": one.addr, "forward hop": zero.addr}
}

// TestStreamedUploadWithEarlyAnswer: an HTTP/1.1 upload to a function that
// answers at once and echoes the body while still reading it loses no
// byte, through one activator and across the hop between two (before, the
// server discarded up to 256 KiB of the body once the answer started).
func TestStreamedUploadWithEarlyAnswer(t *testing.T) {
	pod := echoPod(t, routing.ProtocolHTTP1)
	for name, addr := range duplexPaths(t, pod, routing.ProtocolHTTP1) {
		t.Run(name, func(t *testing.T) {
			var sent bytes.Buffer
			for i := range 64 { // 64 × 16 KiB = 1 MiB
				sent.Write(bytes.Repeat([]byte{byte('a' + i%26)}, 16<<10))
			}
			pr, pw := io.Pipe()
			go func() {
				data := sent.Bytes()
				for len(data) > 0 {
					if _, err := pw.Write(data[:16<<10]); err != nil {
						return
					}
					data = data[16<<10:]
					time.Sleep(time.Millisecond) // a stream, not one write
				}
				_ = pw.Close()
			}()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/upload", pr)
			req.Host = "fn.test"
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(res.Body)
			_ = res.Body.Close()
			if err != nil || res.StatusCode != 200 {
				t.Fatalf("status %d, read error %v", res.StatusCode, err)
			}
			if !bytes.Equal(got, sent.Bytes()) {
				t.Fatalf("echoed %d bytes, sent %d: bytes lost or changed", len(got), sent.Len())
			}
		})
	}
}

// TestBidirectionalStream: a gRPC-style bidirectional stream (h2c client,
// h2c function) gets each message's reply before it sends the next, through
// one activator and across the HTTP/1.1 hop between two activators.
func TestBidirectionalStream(t *testing.T) {
	pod := echoPod(t, routing.ProtocolH2C)
	for name, addr := range duplexPaths(t, pod, routing.ProtocolH2C) {
		t.Run(name, func(t *testing.T) {
			h2c := &http.Transport{Protocols: new(http.Protocols)}
			h2c.Protocols.SetUnencryptedHTTP2(true)
			defer h2c.CloseIdleConnections()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			pr, pw := io.Pipe()
			req, _ := http.NewRequestWithContext(ctx, "POST", "http://"+addr+"/pkg.Svc/Chat", pr)
			req.Host = "fn.test"
			req.Header.Set("Content-Type", "application/grpc")
			req.Header.Set("Te", "trailers")
			type result struct {
				res *http.Response
				err error
			}
			resc := make(chan result, 1)
			go func() {
				res, err := (&http.Client{Transport: h2c}).Do(req)
				resc <- result{res, err}
			}()
			// The first message goes out before the answer's head is in.
			if _, err := io.WriteString(pw, "message 0\n"); err != nil {
				t.Fatal(err)
			}
			var r result
			select {
			case r = <-resc:
			case <-time.After(5 * time.Second):
				t.Fatal("no answer head 5s after the first message")
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			defer func() { _ = r.res.Body.Close() }()
			br := bufio.NewReader(r.res.Body)
			for i := range 5 {
				if i > 0 {
					if _, err := io.WriteString(pw, "message "+string(rune('0'+i))+"\n"); err != nil {
						t.Fatal(err)
					}
				}
				lc := make(chan string, 1)
				go func() { line, _ := br.ReadString('\n'); lc <- line }()
				select {
				case line := <-lc:
					if want := "message " + string(rune('0'+i)) + "\n"; line != want {
						t.Fatalf("reply %d: %q, want %q", i, line, want)
					}
				case <-time.After(5 * time.Second):
					t.Fatalf("no reply to message %d within 5s (message not delivered before the client sent more)", i)
				}
			}
			_ = pw.Close()
			rest, err := io.ReadAll(br)
			if err != nil || strings.TrimSpace(string(rest)) != "" {
				t.Fatalf("after the stream: %q %v", rest, err)
			}
			if r.res.Trailer.Get("Grpc-Status") != "0" {
				t.Errorf("trailers %v, want Grpc-Status 0", r.res.Trailer)
			}
		})
	}
}
