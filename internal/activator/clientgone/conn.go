package clientgone

import (
	"context"
	"net"
	"syscall"
)

type connKey struct{}

// conn is a client connection as WithConn stores it: one per connection,
// a comparable map key whatever the connection's type.
type conn struct {
	net.Conn
}

// WithConn returns ctx carrying c, the client connection; use it as
// http.Server.ConnContext, which calls it once per connection.
func WithConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, &conn{c})
}

// connFrom returns the connection WithConn stored in ctx, or nil.
func connFrom(ctx context.Context) *conn {
	c, _ := ctx.Value(connKey{}).(*conn)
	return c
}

// netConner is implemented by connection wrappers that expose the
// connection they wrap (as *tls.Conn does).
type netConner interface {
	NetConn() net.Conn
}

// rawConn returns the socket under c, unwrapping wrappers that implement
// syscall.Conn or NetConn, or nil if there is none.
func rawConn(c net.Conn) syscall.RawConn {
	for range 8 { // wrappers nest a few deep at most
		if sc, ok := c.(syscall.Conn); ok {
			rc, err := sc.SyscallConn()
			if err != nil {
				return nil
			}
			return rc
		}
		u, ok := c.(netConner)
		if !ok {
			return nil
		}
		c = u.NetConn()
	}
	return nil
}
