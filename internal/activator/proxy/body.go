package proxy

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync/atomic"
	"time"
)

// Body failure states.
const (
	bodyOK int32 = iota
	bodyTimeout
	bodyFailed
)

// body wraps the client's request body on its way to the pod. It never
// closes the client's body (so a retry on another pod can still read it;
// the server closes it when the handler returns), pushes the connection's
// read deadline forward before each read so that a client stalling for
// longer than idle fails, and remembers how reading failed.
type body struct {
	rc    io.ReadCloser
	ctl   *http.ResponseController // nil: no deadlines
	idle  time.Duration
	state atomic.Int32
}

func (b *body) Read(p []byte) (int, error) {
	if b.ctl != nil {
		_ = b.ctl.SetReadDeadline(time.Now().Add(b.idle))
	}
	n, err := b.rc.Read(p)
	switch {
	case err == nil:
	case err == io.EOF:
		if b.ctl != nil {
			_ = b.ctl.SetReadDeadline(time.Time{})
		}
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		b.state.CompareAndSwap(bodyOK, bodyTimeout)
	default:
		b.state.CompareAndSwap(bodyOK, bodyFailed)
	}
	return n, err
}

// Close leaves the client's body open; see body.
func (b *body) Close() error { return nil }

func (b *body) failure() int32 { return b.state.Load() }

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
