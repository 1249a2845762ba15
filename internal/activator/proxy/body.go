package proxy

import (
	"errors"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// Body failure states.
const (
	bodyOK int32 = iota
	bodyTimeout
	bodyFailed
)

// errBodyTooSlow is a request body that fell below the minimum rate.
var errBodyTooSlow = errors.New("request body slower than the minimum rate")

// errBodyDone is what a transport still reading the body gets once the
// request is over.
var errBodyDone = errors.New("request is over")

// body wraps the client's request body on its way to the pod. It never
// closes the client's body (so a retry on another pod can still read it;
// the server closes it when the handler returns), sets the connection's
// read deadline before each read, and remembers how reading failed.
//
// A read may wait at most idle, and in all the client may keep the proxy
// waiting grace + read/rate (read: the bytes it sent so far): the average
// rate after the grace must stay above rate. Only the time the proxy waits
// for the client counts, not the time the pod takes to consume the body.
// The rate holds until the pod starts answering (answered): from then on
// the exchange is a stream the function chose to engage in (a
// bidirectional gRPC call, an echo), bound by idle and the request's
// deadline as tunnels are.
type body struct {
	rc     io.ReadCloser
	ctl    *http.ResponseController // nil: no deadlines
	idle   time.Duration            // <= 0: none
	grace  time.Duration
	rate   int           // bytes per second; <= 0: none
	read   int64         // bytes read so far
	waited time.Duration // time spent waiting for the client
	state  atomic.Int32
	// answered is set when the pod's answer starts: the rate no longer
	// applies.
	answered atomic.Bool

	mu   sync.Mutex // orders deadline changes with done
	done bool       // the request is over: the connection is not ours to touch
}

func (b *body) Read(p []byte) (int, error) {
	if b.ctl == nil {
		return b.note(b.rc.Read(p))
	}
	start := time.Now()
	budget := b.idle
	if b.rate > 0 && !b.answered.Load() {
		left := b.grace + time.Duration(float64(b.read)/float64(b.rate)*float64(time.Second)) - b.waited
		if budget <= 0 || left < budget {
			budget = left
		}
		if left <= 0 {
			b.state.CompareAndSwap(bodyOK, bodyTimeout)
			return 0, errBodyTooSlow
		}
	}
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return 0, errBodyDone
	}
	_ = b.ctl.SetReadDeadline(start.Add(budget))
	b.mu.Unlock()
	n, err := b.rc.Read(p)
	b.waited += time.Since(start)
	b.read += int64(n)
	if err == io.EOF {
		b.mu.Lock()
		if !b.done {
			_ = b.ctl.SetReadDeadline(time.Time{})
		}
		b.mu.Unlock()
	}
	return b.note(n, err)
}

// note records how a read failed.
func (b *body) note(n int, err error) (int, error) {
	switch {
	case err == nil, err == io.EOF:
	case errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err):
		b.state.CompareAndSwap(bodyOK, bodyTimeout)
	default:
		b.state.CompareAndSwap(bodyOK, bodyFailed)
	}
	return n, err
}

// finish ends the body's use of the client connection: a transport still
// reading it (the pod answered without reading it all) no longer moves the
// connection's read deadline, which may by then serve the next request.
func (b *body) finish() {
	if b.ctl == nil {
		return
	}
	b.mu.Lock()
	b.done = true
	b.mu.Unlock()
}

// Close leaves the client's body open; see body.
func (b *body) Close() error { return nil }

func (b *body) failure() int32 { return b.state.Load() }

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}
