package server

import (
	"bufio"
	"encoding/binary"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// TestMaxConnections: beyond MaxConnections open client connections, a new
// connection is answered 503 with Retry-After and closed, and counted;
// once a connection closes, new ones are served again.
func TestMaxConnections(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "ok") })
	var refused atomic.Int32
	r := start(t, Options{Handler: h, MaxConnections: 2, OnConnRefused: func() { refused.Add(1) }})
	addr := strings.TrimPrefix(r.data, "http://")

	// Two keep-alive connections, each proven accepted by an answer.
	var open []net.Conn
	for range 2 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = c.Close() }()
		if code := exchange(t, c); code != 200 {
			t.Fatalf("connection under the cap: %d, want 200", code)
		}
		open = append(open, c)
	}

	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("connection over the cap: %v, want a 503", err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	if res.StatusCode != 503 || res.Header.Get("Retry-After") != "1" || !res.Close {
		t.Fatalf("over the cap: %d Retry-After %q close %v; want 503, 1, true", res.StatusCode, res.Header.Get("Retry-After"), res.Close)
	}
	if _, err := br.ReadByte(); err != io.EOF {
		t.Errorf("refused connection not closed: %v", err)
	}
	if n := refused.Load(); n != 1 {
		t.Errorf("refusals counted %d, want 1", n)
	}

	// An h2c client over the cap gets the server preface and GOAWAY.
	h2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = h2.Close() }()
	_ = h2.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(h2, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"); err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(h2)
	if len(got) < 9+17 || got[3] != 0x4 || got[9+3] != 0x7 || binary.BigEndian.Uint32(got[9+9:]) != 0 || binary.BigEndian.Uint32(got[9+13:]) != 0xb {
		t.Errorf("h2c over the cap: got % x, want SETTINGS then GOAWAY(last stream 0, ENHANCE_YOUR_CALM)", got)
	}
	if n := refused.Load(); n != 2 {
		t.Errorf("refusals counted %d, want 2", n)
	}

	_ = open[0].Close()
	testutil.Eventually(t, 10*time.Second, "a connection served after one closed", func() bool {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			return false
		}
		defer func() { _ = c.Close() }()
		return exchange(t, c) == 200
	})
}

// exchange sends one GET on c and returns the status (0 on failure).
func exchange(t *testing.T, c net.Conn) int {
	t.Helper()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		return 0
	}
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// TestHTTP2Limits: an h2c client is told the explicit limits (SETTINGS
// and the connection window), not Go's defaults (250 streams, 1 MiB
// windows).
func TestHTTP2Limits(t *testing.T) {
	r := start(t, Options{Handler: http.NotFoundHandler()})
	c, err := net.Dial("tcp", strings.TrimPrefix(r.data, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	// Preface, then an empty SETTINGS frame.
	if _, err := io.WriteString(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00"); err != nil {
		t.Fatal(err)
	}
	settings := map[uint16]uint32{}
	var connWindow uint32 = 65535
	br := bufio.NewReader(c)
	for seen := 0; seen < 2; {
		var hdr [9]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			t.Fatalf("reading frames: %v", err)
		}
		n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
		typ, flags, stream := hdr[3], hdr[4], binary.BigEndian.Uint32(hdr[5:])&0x7fffffff
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			t.Fatal(err)
		}
		switch {
		case typ == 0x4 && flags&0x1 == 0: // SETTINGS
			for i := 0; i+6 <= len(payload); i += 6 {
				settings[binary.BigEndian.Uint16(payload[i:])] = binary.BigEndian.Uint32(payload[i+2:])
			}
			seen++
		case typ == 0x8 && stream == 0: // WINDOW_UPDATE for the connection
			connWindow += binary.BigEndian.Uint32(payload) & 0x7fffffff
			seen++
		}
	}
	want := map[uint16]uint32{
		0x1: HTTP2MaxHeaderTableSize,
		0x3: HTTP2MaxConcurrentStreams,
		0x4: HTTP2MaxReceiveBufferPerStream,
		0x5: HTTP2MaxReadFrameSize,
	}
	for id, v := range want {
		if settings[id] != v {
			t.Errorf("setting 0x%x = %d, want %d (all: %v)", id, settings[id], v, settings)
		}
	}
	if connWindow != HTTP2MaxReceiveBufferPerConnection {
		t.Errorf("connection window = %d, want %d", connWindow, HTTP2MaxReceiveBufferPerConnection)
	}
}
