package proxy

import (
	"net"
	"syscall"
	"testing"

	"github.com/wakefn/wake/internal/testutil"
)

// wrapped is a connection wrapper that exposes what it wraps, as the
// ingress guard and the connection limit do.
type wrapped struct{ net.Conn }

func (w wrapped) NetConn() net.Conn { return w.Conn }

// TestLimitUnsentThroughWrappers checks that LimitUnsent reaches the
// socket through connection wrappers, as the data server hands it the
// outermost one.
func TestLimitUnsentThroughWrappers(t *testing.T) {
	c, _ := testutil.TCPPair(t)

	LimitUnsent(wrapped{wrapped{c}})

	raw, err := c.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var got int
	var gerr error
	if err := raw.Control(func(fd uintptr) {
		got, gerr = syscall.GetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpNotSentLowat)
	}); err != nil || gerr != nil {
		t.Fatal(err, gerr)
	}
	if got != UnsentLowWater {
		t.Errorf("TCP_NOTSENT_LOWAT = %d, want %d", got, UnsentLowWater)
	}
}
