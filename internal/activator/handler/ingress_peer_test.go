package handler_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"io"
	"net"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/activator/proxy"
)

// TestForwardedHeaderOnlyFromPeers: a client that is not an activator (it
// connects from 127.0.0.2; the activators are on 127.0.0.1) cannot mark its
// request as forwarded, in any spelling, to make the activator without a
// share of the pod queue it instead of forwarding it to the owner.
func TestForwardedHeaderOnlyFromPeers(t *testing.T) {
	pod := newCCOnePod(t)
	zero, owner := twoActivators(t, hostOf(pod.Server))
	key := zero.revs[0].Key
	for _, name := range []string{proxy.ForwardedHeader, "wake_internal_forwarded", "WAKE-INTERNAL-FORWARDED"} {
		t.Run(name, func(t *testing.T) {
			before, _ := owner.th.Stats(key)
			raw := "GET / HTTP/1.1\r\nHost: fn.test\r\n" + name + ": 1\r\n\r\n"
			r := exchange(t, zero.addr, "127.0.0.2", raw, 1)
			if len(r.codes) != 1 || r.codes[0] != 200 {
				t.Fatalf("got %v, want 200 through the owner", r.codes)
			}
			if st, _ := owner.th.Stats(key); st.Requests != before.Requests+1 {
				t.Errorf("owner took %d requests, want %d: the client's header was believed", st.Requests-before.Requests, 1)
			}
			if n := pod.leaked.Load(); n != 0 {
				t.Errorf("%d internal headers reached the pod", n)
			}
		})
	}
}

// TestH2CStrictParsing: over h2c (prior knowledge) a non-ASCII or
// otherwise invalid :authority is refused with 400, as a Host over
// HTTP/1.1, and dot-segments are removed before matching.
func TestH2CStrictParsing(t *testing.T) {
	e, fn, _, pub := ingressEnv(t)
	for _, tc := range []struct {
		authority, path string
		want            byte // HPACK static-table index of the :status answered
	}{
		{"fn.test", "/", 0x88},             // 200
		{"f\xc3\xa9.test", "/", 0x8c},      // 400
		{"fn.test/../x", "/", 0x8c},        // 400
		{"pub.test", "/public/x", 0x88},    // 200
		{"pub.test", "/public/../x", 0x8d}, // 404
		{"pub.test", "/public/%2F", 0x8c},  // 400
	} {
		t.Run(tc.authority+tc.path, func(t *testing.T) {
			before := len(fn.requests()) + len(pub.requests())
			status := h2cGet(t, e.addr, tc.authority, tc.path)
			if status != tc.want {
				t.Errorf(":status field %#x, want %#x", status, tc.want)
			}
			if tc.want != 0x88 && len(fn.requests())+len(pub.requests()) != before {
				t.Errorf("a pod got the request")
			}
		})
	}
}

// h2cGet sends one GET over a new h2c connection and returns the first
// byte of the answer's header block (an indexed :status field for the
// common codes), or 0 if the stream was reset or the connection closed.
func h2cGet(t *testing.T, addr, authority, path string) byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	var block bytes.Buffer
	lit := func(name, value string) { // literal field, no indexing, new name
		block.WriteByte(0)
		block.WriteByte(byte(len(name)))
		block.WriteString(name)
		block.WriteByte(byte(len(value)))
		block.WriteString(value)
	}
	lit(":method", "GET")
	lit(":scheme", "http")
	lit(":authority", authority)
	lit(":path", path)
	var out bytes.Buffer
	out.WriteString("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")
	writeFrame(&out, 0x4, 0, 0, nil)             // SETTINGS
	writeFrame(&out, 0x1, 0x5, 1, block.Bytes()) // HEADERS, END_STREAM|END_HEADERS
	if _, err := c.Write(out.Bytes()); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(c)
	for {
		var hdr [9]byte
		if _, err := io.ReadFull(br, hdr[:]); err != nil {
			return 0
		}
		n := int(hdr[0])<<16 | int(hdr[1])<<8 | int(hdr[2])
		payload := make([]byte, n)
		if _, err := io.ReadFull(br, payload); err != nil {
			return 0
		}
		typ, flags, stream := hdr[3], hdr[4], binary.BigEndian.Uint32(hdr[5:])&0x7fffffff
		switch {
		case typ == 0x4 && flags&0x1 == 0: // SETTINGS: acknowledge
			var ack bytes.Buffer
			writeFrame(&ack, 0x4, 0x1, 0, nil)
			_, _ = c.Write(ack.Bytes())
		case typ == 0x1 && stream == 1 && len(payload) > 0:
			return payload[0]
		case typ == 0x3 && stream == 1, typ == 0x7: // RST_STREAM, GOAWAY
			return 0
		}
	}
}

func writeFrame(w *bytes.Buffer, typ, flags byte, stream uint32, payload []byte) {
	n := len(payload)
	w.Write([]byte{byte(n >> 16), byte(n >> 8), byte(n), typ, flags})
	_ = binary.Write(w, binary.BigEndian, stream)
	w.Write(payload)
}
