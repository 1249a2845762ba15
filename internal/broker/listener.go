package broker

import (
	"errors"
	"net"
	"sync"
)

// kfake has no option for the address it advertises: every broker's
// Metadata, FindCoordinator, DescribeCluster, Produce and Fetch responses
// carry the host and port of its listener's Addr(). It also always asks its
// ListenFn for 127.0.0.1, which no other pod can reach. So the broker gives
// kfake a ListenFn that ignores that address, listens on Options.Listen, and
// returns the listener wrapped so that Addr() reports Options.Advertise.
// Nothing else in kfake uses the listener's address (ListenAddrs, which we
// do not call, would return the advertised one too).

// advertisedListener is a listener whose Addr is the advertised address.
type advertisedListener struct {
	net.Listener
	advertised net.Addr
}

// Addr returns the advertised address, which kfake puts in its responses.
func (l *advertisedListener) Addr() net.Addr { return l.advertised }

// advertisedAddr is a TCP address given as host:port, where host may be a
// DNS name.
type advertisedAddr string

// Network returns "tcp".
func (advertisedAddr) Network() string { return "tcp" }

// String returns the host:port.
func (a advertisedAddr) String() string { return string(a) }

// listenOnce is the ListenFn given to kfake: the first call listens on
// addr and advertises advertise (the bound address when empty); it keeps the
// real listener so that Broker.Addr can report where it listens. A second
// call fails: the broker is a cluster of one.
type listenOnce struct {
	addr, advertise string

	mu sync.Mutex
	ln net.Listener // the real listener, nil before the first call
}

// errSecondListener is returned if kfake asks for a second listener.
var errSecondListener = errors.New("the broker listens on one address only")

// listen implements kfake.ListenFn; kfake's address is ignored.
func (l *listenOnce) listen(network, _ string) (net.Listener, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln != nil {
		return nil, errSecondListener
	}
	ln, err := net.Listen(network, l.addr)
	if err != nil {
		return nil, err
	}
	l.ln = ln
	advertised := l.advertise
	if advertised == "" {
		advertised = ln.Addr().String()
	}
	return &advertisedListener{Listener: ln, advertised: advertisedAddr(advertised)}, nil
}

// bound returns the real listener's address, or "" before listen.
func (l *listenOnce) bound() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.ln == nil {
		return ""
	}
	return l.ln.Addr().String()
}
