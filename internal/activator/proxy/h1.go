package proxy

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"syscall"
	"time"
)

// h1Client sends body-less HTTP/1.1 requests to pods on the caller's
// goroutine: it writes the request and reads the response head itself, and
// the response body is read from the connection as the caller copies it.
// http.Transport hands each request to a connection's writer goroutine and
// the response back from its reader goroutine instead; saving those
// goroutine switches and channel operations raised the activator
// benchmark's closed-loop throughput by about a tenth. Requests with a
// body, upgrades and H2C pods go through http.Transport.
type h1Client struct {
	dial        func(ctx context.Context, network, address string) (net.Conn, error)
	maxIdle     int
	idleTimeout time.Duration
	maxHead     int // bytes of all heads of one response together

	mu    sync.Mutex
	idle  map[string][]*h1Conn // by pod address, most recently used last
	sweep *time.Timer          // closes expired idle connections; nil when none are idle
}

// h1Conn is one keep-alive connection to a pod.
type h1Conn struct {
	c      *h1Client
	addr   string
	nc     net.Conn
	lim    headLimiter // between nc and br
	br     *bufio.Reader
	bw     *bufio.Writer
	raw    syscall.RawConn // nil: no liveness check
	peekFn func(fd uintptr) bool
	peekN  int
	idleAt time.Time   // when it was put back
	reused bool        // served a request before this one
	stop   func() bool // unhooks the request context's interruption
}

// errNoResponse marks a failure before any byte of the response arrived.
type errNoResponse struct{ err error }

func (e *errNoResponse) Error() string { return "no response: " + e.err.Error() }
func (e *errNoResponse) Unwrap() error { return e.err }

// aLongTimeAgo is a deadline that has passed: setting it interrupts I/O.
var aLongTimeAgo = time.Unix(1, 0)

func newH1Client(dial func(context.Context, string, string) (net.Conn, error), maxIdle int, idleTimeout time.Duration, maxHead int) *h1Client {
	return &h1Client{dial: dial, maxIdle: maxIdle, idleTimeout: idleTimeout, maxHead: maxHead, idle: map[string][]*h1Conn{}}
}

// roundTrip sends req (no body) to req.URL.Host. A reused connection that
// the pod closed while it was idle is replaced by a new one once, for
// requests that are safe to send again (http.Transport's rule).
func (c *h1Client) roundTrip(req *http.Request) (*http.Response, error) {
	for retried := false; ; retried = true {
		cn, err := c.get(req.Context(), req.URL.Host)
		if err != nil {
			return nil, err
		}
		res, err := cn.roundTrip(req)
		if err == nil {
			return res, nil
		}
		var nr *errNoResponse
		if retried || !cn.reused || !errors.As(err, &nr) || req.Context().Err() != nil || !replayable(req) {
			return nil, err
		}
	}
}

// replayable reports whether a body-less request may be sent twice.
func replayable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	_, a := req.Header["Idempotency-Key"]
	_, b := req.Header["X-Idempotency-Key"]
	return a || b
}

// get returns a live idle connection to addr, or dials one.
func (c *h1Client) get(ctx context.Context, addr string) (*h1Conn, error) {
	for {
		c.mu.Lock()
		conns := c.idle[addr]
		if len(conns) == 0 {
			c.mu.Unlock()
			break
		}
		cn := conns[len(conns)-1]
		conns[len(conns)-1] = nil
		c.idle[addr] = conns[:len(conns)-1]
		c.mu.Unlock()
		if time.Since(cn.idleAt) < c.idleTimeout && cn.alive() {
			cn.reused = true
			return cn, nil
		}
		cn.close()
	}
	nc, err := c.dial(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	cn := &h1Conn{c: c, addr: addr, nc: nc, lim: headLimiter{nc: nc, budget: -1}, bw: bufio.NewWriterSize(nc, 16<<10)}
	cn.br = bufio.NewReaderSize(&cn.lim, 16<<10)
	if sc, ok := nc.(syscall.Conn); ok {
		if raw, err := sc.SyscallConn(); err == nil {
			cn.raw, cn.peekFn = raw, cn.peek
		}
	}
	return cn, nil
}

// put makes cn idle, or closes it if addr has maxIdle idle connections.
func (c *h1Client) put(cn *h1Conn) {
	cn.idleAt = time.Now()
	c.mu.Lock()
	if len(c.idle[cn.addr]) >= c.maxIdle {
		c.mu.Unlock()
		cn.close()
		return
	}
	c.idle[cn.addr] = append(c.idle[cn.addr], cn)
	if c.sweep == nil {
		c.sweep = time.AfterFunc(c.idleTimeout, c.sweepIdle)
	}
	c.mu.Unlock()
}

// sweepIdle closes connections idle for longer than idleTimeout, so that
// those to pods that went away do not linger.
func (c *h1Client) sweepIdle() {
	cutoff := time.Now().Add(-c.idleTimeout)
	var expired []*h1Conn
	c.mu.Lock()
	for addr, conns := range c.idle {
		kept := conns[:0]
		for _, cn := range conns {
			if cn.idleAt.Before(cutoff) {
				expired = append(expired, cn)
			} else {
				kept = append(kept, cn)
			}
		}
		clear(conns[len(kept):])
		if len(kept) == 0 {
			delete(c.idle, addr)
		} else {
			c.idle[addr] = kept
		}
	}
	if len(c.idle) > 0 {
		c.sweep.Reset(c.idleTimeout)
	} else {
		c.sweep = nil
	}
	c.mu.Unlock()
	for _, cn := range expired {
		cn.close()
	}
}

// closeIdle closes every idle connection.
func (c *h1Client) closeIdle() {
	c.mu.Lock()
	idle := c.idle
	c.idle = map[string][]*h1Conn{}
	c.mu.Unlock()
	for _, conns := range idle {
		for _, cn := range conns {
			cn.close()
		}
	}
}

// roundTrip writes req and reads the response head. The request's context
// interrupts blocked I/O by setting a past deadline; the connection is then
// not reused.
func (cn *h1Conn) roundTrip(req *http.Request) (*http.Response, error) {
	cn.stop = context.AfterFunc(req.Context(), cn.interrupt)
	res, err := cn.exchange(req)
	if err != nil {
		cn.stop()
		cn.close()
		return nil, err
	}
	res.Body = &h1Body{rc: res.Body, cn: cn, keep: !res.Close && !req.Close}
	return res, nil
}

// max1xx is how many informational (1xx) answers may precede a pod's
// answer, as net/http's client allowed before Go 1.24.
const max1xx = 5

// exchange writes req and reads the answer's head. All heads of the answer
// (1xx ones and the final one) together may take at most c.maxHead bytes:
// the limiter stops reading from the connection a buffer's length past
// that, and the exact size is checked once a head is parsed.
func (cn *h1Conn) exchange(req *http.Request) (*http.Response, error) {
	if err := req.Write(cn.bw); err != nil {
		return nil, &errNoResponse{err}
	}
	if err := cn.bw.Flush(); err != nil {
		return nil, &errNoResponse{err}
	}
	limit := cn.c.maxHead
	before := cn.br.Buffered()
	cn.lim.arm(limit + cn.br.Size())
	for n1xx := 0; ; n1xx++ {
		if _, err := cn.br.Peek(1); err != nil {
			if cn.lim.exhausted() {
				return nil, fmt.Errorf("%w (%d bytes)", errHeadTooLarge, limit)
			}
			return nil, &errNoResponse{err}
		}
		res, err := http.ReadResponse(cn.br, req)
		if used := before + cn.lim.pulled - cn.br.Buffered(); used > limit || (err != nil && cn.lim.exhausted()) {
			return nil, fmt.Errorf("%w (%d bytes)", errHeadTooLarge, limit)
		}
		if err != nil {
			return nil, err
		}
		switch {
		case res.StatusCode == http.StatusSwitchingProtocols:
			return nil, fmt.Errorf("%w: %d to a request that asked for no upgrade", errBadAnswer, res.StatusCode)
		case res.StatusCode >= 100 && res.StatusCode < 200:
			if n1xx == max1xx {
				return nil, fmt.Errorf("%w: more than %d informational answers", errBadAnswer, max1xx)
			}
			continue // informational (103 Early Hints): not relayed
		}
		cn.lim.disarm()
		return res, nil
	}
}

func (cn *h1Conn) interrupt() { _ = cn.nc.SetDeadline(aLongTimeAgo) }

func (cn *h1Conn) close() { _ = cn.nc.Close() }

// alive reports whether the idle connection is still open and silent: the
// pod has neither closed it nor sent anything unasked. It costs one
// non-blocking recv with MSG_PEEK.
func (cn *h1Conn) alive() bool {
	if cn.br.Buffered() > 0 {
		return false
	}
	if cn.raw == nil {
		return true
	}
	cn.peekN = 0
	if err := cn.raw.Read(cn.peekFn); err != nil {
		return false
	}
	return cn.peekN < 0
}

// peek is RawConn.Read's callback for alive: peekN is -1 when no data is
// waiting (EAGAIN), 0 at end of stream, >0 with unread data.
func (cn *h1Conn) peek(fd uintptr) bool {
	var b [1]byte
	n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	switch {
	case errors.Is(err, syscall.EAGAIN):
		cn.peekN = -1
	case err != nil:
		cn.peekN = 0
	default:
		cn.peekN = n
	}
	return true
}

// h1Body is a response body read from an h1Conn. Reading it to the end
// returns the connection to the pool (if keep-alive holds); closing it
// earlier closes the connection.
type h1Body struct {
	rc   io.ReadCloser
	cn   *h1Conn
	keep bool
	done bool
}

func (b *h1Body) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.finish(true)
	}
	return n, err
}

// Close releases the connection; it is not safe to call concurrently with
// Read (the proxy reads and closes on one goroutine).
func (b *h1Body) Close() error {
	if !b.done {
		b.finish(false)
	}
	return nil
}

func (b *h1Body) finish(eof bool) {
	b.done = true
	untouched := b.cn.stop() // false: the context fired and may have set a deadline
	if eof && untouched && b.keep {
		b.cn.c.put(b.cn)
		return
	}
	b.cn.close()
}
