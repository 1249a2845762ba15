package ingress

import (
	"io"
	"net"
	"sync"
)

// GuardOptions configures Listen.
type GuardOptions struct {
	// MaxHeaderBytes is the server's http.Server.MaxHeaderBytes (default
	// 1 MiB, as net/http's). A connection holds at most MaxHeaderBytes+4096
	// bytes of an unfinished request head, the most net/http reads before
	// it answers 431 itself; a longer head is passed on for net/http to
	// refuse.
	MaxHeaderBytes int
	// OnRefuse, if set, is called with the reason whenever a request head
	// is refused.
	OnRefuse func(reason string)
}

// refusedHead is what net/http reads instead of a refused head: a request
// line without spaces, which it answers with 400 and "Connection: close".
var refusedHead = []byte("WAKE-REFUSED\r\n\r\n")

// Listen wraps ln so that every connection it accepts checks HTTP/1.x
// request heads before net/http parses them (see the package doc).
func Listen(ln net.Listener, cfg GuardOptions) net.Listener {
	if cfg.MaxHeaderBytes <= 0 {
		cfg.MaxHeaderBytes = 1 << 20
	}
	return &listener{Listener: ln, limit: cfg.MaxHeaderBytes + 4096, onRefuse: cfg.OnRefuse}
}

type listener struct {
	net.Listener
	limit    int
	onRefuse func(string)
}

// Accept wraps the next connection.
func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, l: l, p: framer{limit: l.limit}}, nil
}

// maxPooled is the largest buffer kept for reuse.
const maxPooled = 16 << 10

// bufPool recycles the buffers of heads that arrived in pieces.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// conn is a net.Conn whose reads pass through a framer. net/http never
// reads a connection from two goroutines at once, so it needs no lock.
type conn struct {
	net.Conn
	l *listener
	p framer

	// buf holds bytes read but not yet handed out: buf[r:c] are checked,
	// buf[c:] the start of a head not yet complete. nil when empty.
	buf  *[]byte
	r, c int

	refusal []byte // what is left of refusedHead to hand out
}

// Read implements net.Conn.
func (c *conn) Read(p []byte) (int, error) {
	for {
		if c.buf != nil && c.r < c.c {
			n := copy(p, (*c.buf)[c.r:c.c])
			c.r += n
			c.release()
			return n, nil
		}
		if c.p.st == stRefused {
			if len(c.refusal) == 0 {
				return 0, io.EOF
			}
			n := copy(p, c.refusal)
			c.refusal = c.refusal[n:]
			return n, nil
		}
		if c.buf == nil {
			switch c.p.st {
			case stPass:
				return c.Conn.Read(p)
			case stDead:
				return 0, io.EOF
			}
			n, err := c.Conn.Read(p)
			ok, reason := c.p.scan(p[:n])
			switch {
			case reason != "":
				c.refuse(reason)
			case ok < n && c.p.st != stDead:
				c.hold(p[ok:n])
			}
			if ok > 0 {
				return ok, nil // an error comes back on the next read
			}
			if err != nil {
				return 0, err // not sticky: net/http aborts reads with deadlines
			}
			continue
		}
		if err := c.fill(); err != nil && (c.buf == nil || c.r == c.c) {
			return 0, err
		}
	}
}

// hold keeps b, the start of an unfinished head.
func (c *conn) hold(b []byte) {
	c.buf = bufPool.Get().(*[]byte)
	*c.buf = append((*c.buf)[:0], b...)
	c.r, c.c = 0, 0
}

// release returns buf to the pool once it holds nothing.
func (c *conn) release() {
	if c.r == len(*c.buf) {
		if cap(*c.buf) <= maxPooled {
			*c.buf = (*c.buf)[:0]
			bufPool.Put(c.buf)
		}
		c.buf, c.r, c.c = nil, 0, 0
	}
}

// fill reads more of an unfinished head and scans what arrived.
func (c *conn) fill() error {
	b := *c.buf
	if c.r > 0 { // move the held head to the front
		n := copy(b, b[c.r:])
		b, c.c, c.r = b[:n], c.c-c.r, 0
	}
	if len(b) == cap(b) { // the framer passes a head on before it exceeds limit
		nb := make([]byte, len(b), 2*cap(b))
		copy(nb, b)
		b = nb
	}
	n, err := c.Conn.Read(b[len(b):cap(b)])
	b = b[:len(b)+n]
	*c.buf = b
	ok, reason := c.p.scan(b[c.c:])
	c.c += ok
	if reason != "" || c.p.st == stDead {
		*c.buf = b[:c.c] // hand out what was checked, then the refusal or EOF
	}
	if reason != "" {
		c.refuse(reason)
	}
	if c.r == len(*c.buf) {
		c.release()
	}
	return err
}

// refuse switches the connection to handing out refusedHead, then EOF.
func (c *conn) refuse(reason string) {
	c.p.st = stRefused
	c.refusal = refusedHead
	if c.l.onRefuse != nil {
		c.l.onRefuse(reason)
	}
}

// CloseWrite half-closes the connection when the underlying one can.
func (c *conn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return c.Close()
}

// NetConn returns the wrapped connection, so that code watching the socket
// (clientgone) can reach it.
func (c *conn) NetConn() net.Conn { return c.Conn }

// ReadFrom lets writes use the underlying connection's fast path (sendfile,
// splice); the guard inspects only what is read.
func (c *conn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(writerOnly{c.Conn}, r)
}

// writerOnly hides a writer's ReadFrom, so that io.Copy does not recurse.
type writerOnly struct{ io.Writer }
