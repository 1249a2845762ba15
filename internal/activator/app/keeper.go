package app

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wakefn/wake/internal/activator/keeper"
)

// keptListener takes the data-plane listener from the listener keeper at
// o.KeeperSocket, waiting up to o.KeeperWait for the keeper to come up.
// It does not fall back to
// listening itself: the port belongs to the keeper, and an activator that
// quietly listened alone would lose the keeper's guarantee unnoticed.
// Close the lease when Run returns.
func keptListener(ctx context.Context, o Options) (net.Listener, *keeper.Lease, error) {
	lease, err := keeper.Take(ctx, o.KeeperSocket, o.KeeperWait)
	if err != nil {
		return nil, nil, err
	}
	lns := lease.Listeners()
	if len(lns) != 1 || !samePort(lns[0].Addr(), o.Addr) {
		_ = lease.Close()
		for _, ln := range lns {
			_ = ln.Close()
		}
		return nil, nil, fmt.Errorf("listener keeper at %s holds %v, want one listener on %s", o.KeeperSocket, addrs(lns), o.Addr)
	}
	return lns[0], lease, nil
}

// samePort reports whether a listens on the port of the address want (any
// port if want has none).
func samePort(a net.Addr, want string) bool {
	_, port, err := net.SplitHostPort(want)
	if err != nil || port == "" || port == "0" {
		return true
	}
	tcp, ok := a.(*net.TCPAddr)
	return ok && fmt.Sprint(tcp.Port) == port
}

// addrs lists the listeners' addresses, for errors.
func addrs(lns []net.Listener) []string {
	out := make([]string, len(lns))
	for i, ln := range lns {
		out[i] = ln.Addr().String()
	}
	return out
}

// readyPoll is how often a readyListener checks readiness.
const readyPoll = 10 * time.Millisecond

// whenReady returns ln holding back Accept until ready reports true.
func whenReady(ln net.Listener, ready func() bool) net.Listener {
	return &readyListener{Listener: ln, ready: ready, closed: make(chan struct{})}
}

// readyListener holds back Accept until ready reports true. Connections
// that queued in a kept socket while the activator was down were sent to
// a ready activator: one whose routing table is not loaded yet must not
// answer them 404.
type readyListener struct {
	net.Listener
	ready func() bool

	open      atomic.Bool
	closed    chan struct{}
	closeOnce sync.Once
}

// Accept waits until ready, then accepts.
func (r *readyListener) Accept() (net.Conn, error) {
	if !r.open.Load() {
		t := time.NewTicker(readyPoll)
		defer t.Stop()
		for !r.ready() {
			select {
			case <-r.closed:
				return nil, net.ErrClosed
			case <-t.C:
			}
		}
		r.open.Store(true)
	}
	return r.Listener.Accept()
}

// Close closes the listener and ends a wait in Accept.
func (r *readyListener) Close() error {
	r.closeOnce.Do(func() { close(r.closed) })
	return r.Listener.Close()
}
