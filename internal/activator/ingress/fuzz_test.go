package ingress

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// fuzzLimit is a small head limit, so that the fuzzer reaches it.
const fuzzLimit = 512

// guardSeeds are request streams for FuzzGuard; they run as a test.
var guardSeeds = []string{
	"GET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\r\nGET /2 HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n\n\n\n\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n0\r\nT: 1\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5 \t\r\nhello\r\n0\r\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\n\nGET /s HTTP/1.1\r\nHost: a\r\n\r\n\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0000000000000000000001\r\nA\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nContent-Length:  3 \r\n\r\nabcGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +3\r\n\r\nabc",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n0\r\n\r\n",
	"POST / HTTP/1.0\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nX: 1\r\n b\r\n\r\n",
	"GET / HTTP/1.1\nHost: a\nX: 1\n\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\n\r\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://b/ HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET http://a/ HTTP/1.1\r\nHost: A\r\n\r\n",
	"CONNECT b:443 HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nUpgrade: websocket\r\nConnection: upgrade\r\n\r\nGET / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n",
	"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x00\x04\x00\x00\x00\x00\x00",
	"GET / HTTP/1.1\r\nHost: a\r\nX: " + string(bytes.Repeat([]byte("a"), 600)) + "\r\n\r\nGET / HTTP/1.1\r\n\r\n",
	"\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length : 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length\t: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding : chunked\r\n\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent_Length: 5\r\n\r\nhelloGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
	"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
}

// FuzzGuard checks that whatever the guard hands net/http is framed by
// net/http into requests that start exactly where the guard saw heads, and
// that reading through a conn in pieces hands out the same bytes as one
// scan. Seeds run with go test; fuzz with
// go test -run '^$' -fuzz FuzzGuard ./internal/activator/ingress/.
func FuzzGuard(f *testing.F) {
	for _, s := range guardSeeds {
		f.Add([]byte(s), uint8(7))
	}
	f.Fuzz(func(t *testing.T, in []byte, step uint8) {
		fr := framer{limit: fuzzLimit}
		var heads []int
		fr.onHead = func(i int) { heads = append(heads, i) }
		ok, reason := fr.scan(in)
		want := append([]byte(nil), in[:ok]...)
		if reason != "" {
			want = append(want, refusedHead...)
		}
		if got := readThrough(t, in, int(step%61)+1); !bytes.Equal(got, want) {
			t.Fatalf("read in pieces of %d:\n got %q\nwant %q", int(step%61)+1, got, want)
		}
		offs := netHTTPHeads(in[:ok])
		for i, o := range offs {
			if i >= len(heads) {
				if fr.st == stPass {
					return // net/http closes or speaks HTTP/2 after the head the guard passed on
				}
				t.Fatalf("net/http read request %d at %d, the guard saw heads at %v (input %q)", i, o, heads, in)
			}
			if heads[i] != o {
				t.Fatalf("net/http read request %d at %d, the guard saw it at %d (input %q)", i, o, heads[i], in)
			}
		}
	})
}

// readThrough reads in from a guarded conn whose peer writes step bytes
// at a time.
func readThrough(t *testing.T, in []byte, step int) []byte {
	t.Helper()
	a, b := net.Pipe()
	go func() {
		for len(in) > 0 {
			n := min(step, len(in))
			if _, err := a.Write(in[:n]); err != nil {
				return
			}
			in = in[n:]
		}
		_ = a.Close()
	}()
	ln := &listener{limit: fuzzLimit}
	c := &conn{Conn: b, l: ln, p: framer{limit: fuzzLimit}}
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	out, err := io.ReadAll(c)
	_ = b.Close()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return out
}

// netHTTPHeads returns the offsets in b of the requests net/http reads,
// bodies included, the way its server loop does.
func netHTTPHeads(b []byte) []int {
	r := bytes.NewReader(b)
	br := bufio.NewReaderSize(r, 4096)
	pos := func() int { return len(b) - r.Len() - br.Buffered() }
	var offs []int
	post := false
	for {
		if post {
			peek, _ := br.Peek(4)
			n := 0
			for n < len(peek) && (peek[n] == '\r' || peek[n] == '\n') {
				n++
			}
			_, _ = br.Discard(n)
		}
		off := pos()
		req, err := http.ReadRequest(br)
		if err != nil || req.ProtoMajor != 1 && req.Method != "PRI" {
			return offs
		}
		if _, err := io.Copy(io.Discard, req.Body); err != nil {
			return offs
		}
		offs = append(offs, off)
		post = req.Method == "POST"
		if len(req.Header["Upgrade"]) > 0 || req.Method == "PRI" {
			return offs
		}
	}
}
