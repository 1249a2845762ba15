package proxy

import (
	"net"
	"syscall"
)

// UnsentLowWater is the TCP_NOTSENT_LOWAT that LimitUnsent sets: at most
// this many bytes of a response wait unsent in a client socket's buffer.
const UnsentLowWater = 64 << 10

// LimitUnsent makes a blocked write to client connection c resume as soon
// as the client has taken most of what waits unsent, instead of once a
// third of the send buffer (which autotuning grows to megabytes) drained,
// so that write deadlines (Options.WriteGrace) measure how fast the client
// reads rather than how large its buffers grew. Sent but unacknowledged
// bytes do not count, so throughput to distant clients is unchanged. The
// data-plane server calls it once per connection (http.Server.ConnContext);
// it does nothing where the option is unsupported.
func LimitUnsent(c net.Conn) {
	// Reach the socket through wrappers (the ingress guard, the
	// connection limit) that expose the connection they wrap.
	for {
		u, ok := c.(interface{ NetConn() net.Conn })
		if _, isSys := c.(syscall.Conn); isSys || !ok {
			break
		}
		c = u.NetConn()
	}
	sc, ok := c.(syscall.Conn)
	if !ok {
		return
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) { setNotSentLowat(fd, UnsentLowWater) })
}
