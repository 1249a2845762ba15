// Command bigbody is a test function that answers every request with a
// large body: the number of bytes in the ?bytes= query parameter, or
// $BODY_BYTES (default 64 MiB), at most 1 GiB. It streams the body in
// 32 KiB writes and stops when the client goes away.
package main

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"strconv"

	"github.com/wakefn/wake/test/images/internal/fnserver"
)

const (
	// defaultBytes is the body size when neither the query nor the
	// environment sets one.
	defaultBytes = 64 << 20
	// maxBytes bounds the body size.
	maxBytes = 1 << 30
	// chunkBytes is the size of one write.
	chunkBytes = 32 << 10
)

func main() {
	def := int64(defaultBytes)
	if v := os.Getenv("BODY_BYTES"); v != "" {
		n, err := parseSize(v)
		if err != nil {
			fmt.Fprintf(os.Stderr, "bigbody: invalid BODY_BYTES %q: %v\n", v, err)
			os.Exit(1)
		}
		def = n
	}
	chunk := bytes.Repeat([]byte("b"), chunkBytes)
	fnserver.Run("bigbody", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		size := def
		if v := r.URL.Query().Get("bytes"); v != "" {
			n, err := parseSize(v)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			size = n
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Length", strconv.FormatInt(size, 10))
		for left := size; left > 0; {
			n := min(left, chunkBytes)
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			left -= n
		}
	}))
}

// parseSize parses a byte count between 0 and maxBytes.
func parseSize(v string) (int64, error) {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > maxBytes {
		return 0, fmt.Errorf("bytes must be an integer from 0 to %d", maxBytes)
	}
	return n, nil
}
