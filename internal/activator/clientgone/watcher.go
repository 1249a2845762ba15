package clientgone

import (
	"context"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"syscall"

	"github.com/go-logr/logr"
)

// poller is the operating system's part of a Watcher: it reports, by id,
// sockets whose peer closed or reset the connection.
type poller interface {
	// add watches rc under id; an error means it cannot be watched (for
	// example, it is closed already).
	add(rc syscall.RawConn, id uint64) error
	// del stops watching rc.
	del(rc syscall.RawConn)
	// run calls gone with the id of each socket whose peer left, until
	// stop is called.
	run(gone func(id uint64))
	// stop makes run return.
	stop() error
	// free releases the poller once run has returned.
	free() error
}

// Options configures a Watcher.
type Options struct {
	// Logger receives a line at V(1) for each client found gone.
	Logger logr.Logger
}

// Watcher ends the waits of requests whose client connection closed. It is
// safe for concurrent use. A nil Watcher watches nothing.
//
// Hold runs on the waiting request's goroutine, whose stack is kept small
// while it waits (see throttler.Try): it only records the connection.
// Registering and unregistering sockets (system calls, whose deep call
// chain would grow that stack for the whole wait) is done in order by a
// goroutine of the Watcher's own.
type Watcher struct {
	cfg  Options
	p    poller
	done chan struct{} // closed when both goroutines have returned
	kick chan struct{} // wakes the registering goroutine; buffered (1)

	mu     sync.Mutex
	closed bool
	conns  map[*conn]*watched
	byID   map[uint64]*watched
	nextID uint64
	ops    []op // registrations to make, in order

	goneRequests atomic.Uint64 // waits ended because their client left
}

// op is a registration change for the registering goroutine.
type op struct {
	wc  *watched
	add bool // false: delete
}

// watched is one connection some request is waiting on.
type watched struct {
	conn       *conn
	rc         syscall.RawConn
	id         uint64
	registered bool // added to the poller, until deleted
	gone       bool
	holds      []*hold
}

// hold is one request's wait.
type hold struct {
	gone chan struct{} // closed when the client is found gone
}

// New starts a Watcher and its goroutine; Close stops them. On systems
// without the needed support it returns a Watcher that watches nothing.
func New(cfg Options) (*Watcher, error) {
	p, err := newPoller()
	if err != nil {
		return nil, fmt.Errorf("client watcher: %w", err)
	}
	if p == nil {
		return nil, nil
	}
	w := &Watcher{cfg: cfg, p: p, conns: map[*conn]*watched{}, byID: map[uint64]*watched{},
		done: make(chan struct{}), kick: make(chan struct{}, 1)}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.run(w.gone) }()
	go func() { defer wg.Done(); w.register() }()
	go func() { wg.Wait(); close(w.done) }()
	return w, nil
}

// Gone returns the number of waiting requests whose wait ended because
// their client left, so far (for metrics). A nil Watcher has ended none.
func (w *Watcher) Gone() uint64 {
	if w == nil {
		return 0
	}
	return w.goneRequests.Load()
}

// register makes the queued registration changes until Close.
func (w *Watcher) register() {
	for range w.kick {
		w.mu.Lock()
		ops := w.ops
		w.ops = nil
		closed := w.closed
		w.mu.Unlock()
		for _, o := range ops {
			w.apply(o)
		}
		if closed {
			return
		}
	}
}

// apply makes one registration change. Adding a connection that is closed
// already ends its waits: nobody is there to answer.
func (w *Watcher) apply(o op) {
	wc := o.wc
	if !o.add {
		w.mu.Lock()
		reg := wc.registered
		wc.registered = false
		w.mu.Unlock()
		if reg {
			w.p.del(wc.rc)
		}
		return
	}
	err := w.p.add(wc.rc, wc.id)
	w.mu.Lock()
	if err == nil {
		wc.registered = true
		w.mu.Unlock()
		return
	}
	w.mu.Unlock()
	w.gone(wc.id)
}

// queue records a registration change and wakes the registering
// goroutine. The caller holds w.mu.
func (w *Watcher) queue(o op) {
	w.ops = append(w.ops, o)
	select {
	case w.kick <- struct{}{}:
	default: // already woken; it will see o
	}
}

// Close stops watching. Waits held at that time are left as they are.
func (w *Watcher) Close() error {
	if w == nil {
		return nil
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, wc := range w.byID {
		w.queue(op{wc: wc})
	}
	close(w.kick) // register makes the queued changes, then returns
	w.mu.Unlock()
	if err := w.p.stop(); err != nil {
		return err
	}
	<-w.done
	return w.p.free()
}

func nop() {}

// Hold is called when a request starts waiting, with the request's
// context. It returns a channel closed as soon as the client's connection
// (stored in ctx by WithConn) is closed or reset, and the function to call
// when the wait ends. For a context without a connection, or whose
// connection exposes no socket, the channel is nil (never ready). Use it
// as the throttler's Options.OnWait. It returns a channel rather than a
// derived context because it runs on the waiting goroutine: creating a
// context there grows that goroutine's stack for the whole wait.
func (w *Watcher) Hold(ctx context.Context) (gone <-chan struct{}, done func()) {
	if w == nil {
		return nil, nop
	}
	c := connFrom(ctx)
	if c == nil {
		return nil, nop
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil, nop
	}
	wc := w.conns[c]
	if wc == nil {
		rc := rawConn(c.Conn)
		if rc == nil {
			w.mu.Unlock()
			return nil, nop
		}
		w.nextID++
		wc = &watched{conn: c, rc: rc, id: w.nextID}
		w.conns[c] = wc
		w.byID[wc.id] = wc
		w.queue(op{wc: wc, add: true})
	}
	h := &hold{gone: make(chan struct{})}
	wc.holds = append(wc.holds, h)
	if wc.gone {
		close(h.gone)
	}
	w.mu.Unlock()
	return h.gone, func() { w.release(wc, h) }
}

// release ends h's wait on wc, and stops watching wc's connection when no
// request waits on it any more.
func (w *Watcher) release(wc *watched, h *hold) {
	w.mu.Lock()
	for i, x := range wc.holds {
		if x == h {
			last := len(wc.holds) - 1
			wc.holds[i], wc.holds[last] = wc.holds[last], nil
			wc.holds = wc.holds[:last]
			break
		}
	}
	if len(wc.holds) == 0 {
		delete(w.conns, wc.conn)
		delete(w.byID, wc.id)
		if !w.closed {
			w.queue(op{wc: wc}) // after its add, if that is still queued
		}
	}
	w.mu.Unlock()
}

// gone cancels the waits on the connection registered as id.
func (w *Watcher) gone(id uint64) {
	w.mu.Lock()
	wc := w.byID[id]
	if wc == nil || wc.gone {
		w.mu.Unlock()
		return
	}
	wc.gone = true
	if n := len(wc.holds); n > 0 {
		w.cfg.Logger.V(1).Info("client gone while its requests waited", "remote", addrString(wc.conn.RemoteAddr()), "requests", n)
		w.goneRequests.Add(uint64(n)) // counted before the waits end, so before anyone sees them end
	}
	for _, h := range wc.holds {
		close(h.gone)
	}
	w.mu.Unlock()
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
