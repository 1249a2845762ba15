package server

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
)

const (
	// maxRefusing bounds the refused connections being answered at once;
	// beyond it a refused connection is closed without an answer.
	maxRefusing = 64
	// refuseLinger bounds the time spent answering a refused connection:
	// waiting for the request's first bytes (an answer sent before them
	// is an unsolicited response, which clients such as Go's discard),
	// writing the answer, then reading what the client sent until it
	// closes, so that closing does not reset the connection (RST) before
	// the client has read the answer.
	refuseLinger = time.Second
	// refuseDrain bounds the bytes read from a refused connection.
	refuseDrain = 64 << 10
)

// h2Refusal is the answer to an HTTP/2 (h2c prior knowledge) connection
// over the cap: the server preface (an empty SETTINGS frame), then GOAWAY
// with last stream 0 (no request was processed: the client may retry
// them all elsewhere), ENHANCE_YOUR_CALM and a debug message.
var h2Refusal = []byte("\x00\x00\x00\x04\x00\x00\x00\x00\x00" + // SETTINGS
	"\x00\x00\x1c\x07\x00\x00\x00\x00\x00" + // GOAWAY, 28 bytes
	"\x00\x00\x00\x00" + "\x00\x00\x00\x0b" + "too many connections")

// h2Preface starts every HTTP/2 prior-knowledge connection.
const h2Preface = "PRI * HTTP/2.0"

// refusal is the answer to a connection over the cap.
var refusal = []byte("HTTP/1.1 503 Service Unavailable\r\n" +
	"Content-Type: text/plain; charset=utf-8\r\n" +
	"Retry-After: 1\r\n" +
	"Connection: close\r\n" +
	"Content-Length: 21\r\n\r\n" +
	"too many connections\n")

// limitListener caps the open connections it has accepted. Over the cap
// it still accepts a new connection, answers it 503 with Retry-After
// (HTTP/1.1; an h2c client gets GOAWAY ENHANCE_YOUR_CALM with no stream
// processed) and closes it, rather than leaving it unaccepted: a client
// queued in the kernel's backlog cannot tell a busy activator from a dead
// one and waits for its own timeout, while a 503 tells it at once to retry
// (behind a Service, likely on another activator). Answering costs a
// short-lived goroutine, at most maxRefusing at once.
type limitListener struct {
	net.Listener
	max       int64
	onRefused func()
	log       logr.Logger

	open     atomic.Int64
	refusing atomic.Int64
	full     atomic.Bool // the cap was reached and not yet logged as left
}

// LimitListener wraps ln with the cap cfg.MaxConnections (or its
// default) on open connections, as Run does for the data port. Use it
// when serving a NewDataServer on a listener of one's own.
func LimitListener(ln net.Listener, cfg Options) net.Listener {
	cfg = cfg.withDefaults()
	return newLimitListener(ln, cfg.MaxConnections, cfg.OnConnRefused, cfg.Logger)
}

// newLimitListener wraps ln with a cap of limit open connections.
func newLimitListener(ln net.Listener, limit int, onRefused func(), log logr.Logger) *limitListener {
	return &limitListener{Listener: ln, max: int64(limit), onRefused: onRefused, log: log}
}

// Accept returns the next connection under the cap, answering and closing
// those over it.
func (l *limitListener) Accept() (net.Conn, error) {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if l.open.Add(1) <= l.max {
			return &limitedConn{Conn: c, l: l}, nil
		}
		l.open.Add(-1)
		l.refuse(c)
	}
}

// refuse answers c 503 and closes it, in the background.
func (l *limitListener) refuse(c net.Conn) {
	if l.onRefused != nil {
		l.onRefused()
	}
	if l.full.CompareAndSwap(false, true) {
		l.log.V(1).Info("connection limit reached: refusing new connections", "maxConnections", l.max)
	}
	if l.refusing.Add(1) > maxRefusing {
		l.refusing.Add(-1)
		_ = c.Close() // nothing to answer with: the answering goroutines are all busy
		return
	}
	go func() {
		defer l.refusing.Add(-1)
		defer func() { _ = c.Close() }()
		_ = c.SetDeadline(time.Now().Add(refuseLinger))
		var first [len(h2Preface)]byte
		n, err := io.ReadAtLeast(c, first[:], 1)
		if err != nil {
			return // the client sent nothing: closing says enough
		}
		if first[0] == h2Preface[0] && n < len(first) { // maybe HTTP/2: read the rest of the preface's start
			m, _ := io.ReadFull(c, first[n:])
			n += m
		}
		answer := refusal
		if string(first[:n]) == h2Preface {
			answer = h2Refusal
		}
		if _, err := c.Write(answer); err != nil {
			return
		}
		if cw, ok := c.(interface{ CloseWrite() error }); ok {
			_ = cw.CloseWrite()
		}
		_, _ = io.CopyN(io.Discard, c, refuseDrain)
	}()
}

// closed records that a connection under the cap closed.
func (l *limitListener) closed() {
	if l.open.Add(-1) < l.max && l.full.CompareAndSwap(true, false) {
		l.log.V(1).Info("below the connection limit: accepting again", "maxConnections", l.max)
	}
}

// limitedConn is a connection counted by a limitListener until closed. It
// keeps the optional methods of the connection it wraps that net/http and
// the activator use (CloseWrite, ReadFrom), and exposes it by NetConn.
type limitedConn struct {
	net.Conn
	l    *limitListener
	done atomic.Bool
}

// Close closes the connection and, the first time, frees its place.
func (c *limitedConn) Close() error {
	err := c.Conn.Close()
	if c.done.CompareAndSwap(false, true) {
		c.l.closed()
	}
	return err
}

// NetConn returns the wrapped connection.
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

// CloseWrite shuts down the writing side, if the wrapped connection can.
func (c *limitedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// ReadFrom lets io.Copy into the connection use the wrapped connection's
// ReadFrom (splice, sendfile).
func (c *limitedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}
