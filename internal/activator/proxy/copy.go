package proxy

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
)

var bufPool = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

// errClientWrite marks a failure to write to the client.
var errClientWrite = errors.New("write to client")

// copyResponse streams src to w, flushing after every read when flush is
// set, each write within the deadline d gives it, and adds the bytes
// written to *sent. It reads with a pooled buffer and never through
// io.ReaderFrom, so the pool bounds memory per request.
func copyResponse(w http.ResponseWriter, src io.Reader, flush bool, d *writeDeadline, sent *int64) error {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var flusher http.Flusher
	if flush {
		flusher, _ = w.(http.Flusher)
		if flusher == nil {
			rc := http.NewResponseController(w)
			flusher = flushFunc(func() { _ = rc.Flush() })
		}
	}
	for {
		n, rerr := src.Read(buf)
		if n > 0 {
			d.before(n)
			wn, werr := w.Write(buf[:n])
			*sent += int64(wn)
			if werr != nil {
				return errors.Join(errClientWrite, werr)
			}
			if flusher != nil {
				flusher.Flush()
			}
		}
		if rerr == io.EOF {
			// The server's last flush (and a chunked answer's end) comes
			// after the handler returns, under the deadline in force.
			d.before(0)
			return nil
		}
		if rerr != nil {
			return rerr
		}
	}
}

type flushFunc func()

func (f flushFunc) Flush() { f() }

// wantsFlush reports whether a response must be flushed as it streams:
// unknown length (chunked, HTTP/2 streams such as gRPC) or server-sent
// events.
func wantsFlush(res *http.Response) bool {
	if res.ContentLength == -1 {
		return true
	}
	ct := res.Header["Content-Type"]
	return len(ct) > 0 && strings.HasPrefix(ct[0], "text/event-stream")
}
