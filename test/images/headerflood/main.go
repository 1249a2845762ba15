// Command headerflood is a hostile test function: for every request whose
// path starts with /flood it answers a status line followed by an endless
// stream of response headers, and never the blank line that would end them.
// It stops when the peer stops reading (a write fails) or after $MAX_BYTES
// header bytes (0, the default, means never). Every other path gets a plain
// 200 "ready", so that tests can tell when the activators route to it.
package main

import (
	"bufio"
	"fmt"
	"log"
	"net/http"
	"os"
	"strconv"
	"strings"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

// chunkBytes is the size of one write of header lines.
const chunkBytes = 32 << 10

func main() {
	var maxBytes int64
	if v := os.Getenv("MAX_BYTES"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			fmt.Fprintf(os.Stderr, "headerflood: invalid MAX_BYTES %q\n", v)
			os.Exit(1)
		}
		maxBytes = n
	}
	chunk := headerLines(chunkBytes)
	fnserver.Run("headerflood", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/flood") {
			_, _ = fmt.Fprintln(w, "ready")
			return
		}
		flood(w, chunk, maxBytes)
	}))
}

// headerLines returns about n bytes of well-formed header lines.
func headerLines(n int) []byte {
	var b strings.Builder
	for i := 0; b.Len() < n; i++ {
		fmt.Fprintf(&b, "X-Flood-%06d: %s\r\n", i, strings.Repeat("a", 100))
	}
	return []byte(b.String())
}

// flood takes over the connection and writes a status line and header
// lines until a write fails or maxBytes (when > 0) have been written.
func flood(w http.ResponseWriter, chunk []byte, maxBytes int64) {
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "cannot hijack: "+err.Error(), http.StatusInternalServerError)
		return
	}
	defer func() { _ = conn.Close() }()
	bw := bufio.NewWriterSize(conn, chunkBytes)
	_ = buf.Flush()
	var written int64
	if _, err := bw.WriteString("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"); err != nil {
		return
	}
	for maxBytes == 0 || written < maxBytes {
		n, err := bw.Write(chunk)
		written += int64(n)
		if err != nil {
			break
		}
	}
	log.Printf("headerflood: stopped after %d header bytes", written)
}
