package proxy

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestStreamingResponseIsFlushed(t *testing.T) {
	release := make(chan struct{})
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first\n")
		w.(http.Flusher).Flush()
		<-release
		_, _ = io.WriteString(w, "second\n")
	})
	f := newFront(t, Options{}, addr(be))
	res, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = res.Body.Close() }()
	br := bufio.NewReader(res.Body)
	line, err := br.ReadString('\n')
	if err != nil || line != "first\n" {
		t.Fatalf("first chunk %q, %v", line, err)
	}
	close(release) // the first chunk arrived before the second was written
	line, _ = br.ReadString('\n')
	if line != "second\n" {
		t.Fatalf("second chunk %q", line)
	}
}

func TestLargeBodiesStream(t *testing.T) {
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		n, _ := io.Copy(io.Discard, r.Body)
		_, _ = fmt.Fprint(w, n)
	})
	f := newFront(t, Options{}, addr(be))
	const size = 8 << 20
	pr, pw := io.Pipe()
	go func() {
		chunk := make([]byte, 64<<10)
		for i := 0; i < size/len(chunk); i++ {
			_, _ = pw.Write(chunk)
		}
		_ = pw.Close()
	}()
	res, err := http.Post(f.URL, "application/octet-stream", pr) // chunked
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if string(b) != fmt.Sprint(size) {
		t.Fatalf("backend read %s bytes, want %d", b, size)
	}
}

func TestH2CAndTrailers(t *testing.T) {
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.ProtoMajor != 2 {
			http.Error(w, "want h2c, got "+r.Proto, 400)
			return
		}
		if r.Header.Get("Te") != "trailers" {
			http.Error(w, "te lost", 400)
			return
		}
		w.Header().Set("Content-Type", "application/grpc")
		body, _ := io.ReadAll(r.Body)
		_, _ = w.Write(body)
		w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
		w.Header().Set(http.TrailerPrefix+"Grpc-Message", "fine")
	})
	f := newFrontTo(t, Options{}, H2C, addr(be))
	req, _ := http.NewRequest("POST", f.URL+"/pkg.Svc/Method", strings.NewReader("payload"))
	req.Header.Set("Te", "trailers")
	req.Header.Set("Content-Type", "application/grpc")
	res, err := h2cClient().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(b) != "payload" || res.ProtoMajor != 2 {
		t.Fatalf("got %s %d %q", res.Proto, res.StatusCode, b)
	}
	if res.Trailer.Get("Grpc-Status") != "0" || res.Trailer.Get("Grpc-Message") != "fine" {
		t.Fatalf("trailers %v", res.Trailer)
	}
}

func TestHTTP1TrailersPassThrough(t *testing.T) {
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Trailer", "X-Sum")
		_, _ = io.WriteString(w, "data")
		w.Header().Set("X-Sum", "42")
	})
	f := newFront(t, Options{}, addr(be))
	res, err := http.Get(f.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.Trailer.Get("X-Sum") != "42" {
		t.Fatalf("trailer %v", res.Trailer)
	}
}

func TestWebSocketUpgrade(t *testing.T) {
	be := backend(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "websocket" || !strings.EqualFold(r.Header.Get("Connection"), "upgrade") {
			http.Error(w, "not an upgrade", 400)
			return
		}
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		defer func() { _ = conn.Close() }()
		_, _ = brw.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Proto: ws\r\n\r\n")
		_ = brw.Flush()
		// Echo lines back, upper-cased.
		for {
			line, err := brw.ReadString('\n')
			if err != nil {
				return
			}
			_, _ = brw.WriteString(strings.ToUpper(line))
			_ = brw.Flush()
		}
	})
	f := newFront(t, Options{}, addr(be))
	conn := f.dial(t)
	// The first message rides in the same packet as the request.
	if _, err := fmt.Fprint(conn, "GET /ws HTTP/1.1\r\nHost: fn.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nhello\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != 101 || res.Header.Get("X-Proto") != "ws" || res.Header.Get("Upgrade") != "websocket" {
		t.Fatalf("got %d %v", res.StatusCode, res.Header)
	}
	for _, msg := range []string{"", "again\n"} {
		if msg != "" {
			if _, err := io.WriteString(conn, msg); err != nil {
				t.Fatal(err)
			}
		}
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]string{"": "HELLO\n", "again\n": "AGAIN\n"}[msg]; line != want {
			t.Fatalf("echo %q, want %q", line, want)
		}
	}
}
