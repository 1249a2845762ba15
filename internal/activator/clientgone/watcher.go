package clientgone

import (
	"context"
	"fmt"
	"net"
	"sync"
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

// Config configures a Watcher.
type Config struct {
	// OnGone, if set, is called with the number of waiting requests
	// canceled each time a client is found gone (for metrics).
	OnGone func(n int)
	// Logger receives a line at V(1) for each client found gone.
	Logger logr.Logger
}

// Watcher ends the waits of requests whose client connection closed. It is
// safe for concurrent use. The zero value and nil watch nothing.
type Watcher struct {
	cfg  Config
	p    poller
	done chan struct{} // closed when run returns

	mu     sync.Mutex
	closed bool
	conns  map[net.Conn]*watched
	byID   map[uint64]*watched
	nextID uint64
}

// watched is one connection some request is waiting on.
type watched struct {
	conn       net.Conn
	rc         syscall.RawConn
	id         uint64
	registered bool // added to the poller; del it when the last hold ends
	gone       bool
	holds      []*hold
}

// hold is one request's wait.
type hold struct {
	cancel context.CancelCauseFunc
}

// New starts a Watcher and its goroutine; Close stops them. On systems
// without the needed support it returns a Watcher that watches nothing.
func New(cfg Config) (*Watcher, error) {
	w := &Watcher{cfg: cfg, conns: map[net.Conn]*watched{}, byID: map[uint64]*watched{}, done: make(chan struct{})}
	p, err := newPoller()
	if err != nil {
		return nil, fmt.Errorf("client watcher: %w", err)
	}
	w.p = p
	if p == nil {
		close(w.done)
		return w, nil
	}
	go func() {
		defer close(w.done)
		p.run(w.gone)
	}()
	return w, nil
}

// Close stops watching. Waits held at that time are left as they are.
func (w *Watcher) Close() error {
	if w == nil || w.p == nil {
		return nil
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	for _, wc := range w.byID {
		if wc.registered {
			w.p.del(wc.rc)
			wc.registered = false
		}
	}
	w.mu.Unlock()
	if err := w.p.stop(); err != nil {
		return err
	}
	<-w.done
	return w.p.free()
}

func nop() {}

// Hold is called when a request starts waiting, with the request's
// context. It returns the context to wait on, canceled with cause
// ErrClientGone as soon as the client's connection (stored by WithConn)
// is closed or reset, and the function to call when the wait ends. A
// context without a connection, or whose connection exposes no socket, is
// returned unchanged. Use it as the throttler's Config.OnWait.
func (w *Watcher) Hold(ctx context.Context) (context.Context, func()) {
	if w == nil || w.p == nil {
		return ctx, nop
	}
	c := connFrom(ctx)
	if c == nil {
		return ctx, nop
	}
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return ctx, nop
	}
	wc := w.conns[c]
	if wc == nil {
		rc := rawConn(c)
		if rc == nil {
			w.mu.Unlock()
			return ctx, nop
		}
		w.nextID++
		wc = &watched{conn: c, rc: rc, id: w.nextID}
		if err := w.p.add(rc, wc.id); err != nil {
			wc.gone = true // closed already: nobody is there to answer
		} else {
			wc.registered = true
		}
		w.conns[c] = wc
		w.byID[wc.id] = wc
	}
	hctx, cancel := context.WithCancelCause(ctx)
	h := &hold{cancel: cancel}
	wc.holds = append(wc.holds, h)
	if wc.gone {
		cancel(ErrClientGone)
	}
	w.mu.Unlock()
	return hctx, func() { w.release(wc, h) }
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
		if wc.registered {
			w.p.del(wc.rc)
			wc.registered = false
		}
	}
	w.mu.Unlock()
	h.cancel(nil) // frees the context; a no-op if it was canceled already
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
	n := len(wc.holds)
	for _, h := range wc.holds {
		h.cancel(ErrClientGone)
	}
	remote := wc.conn.RemoteAddr()
	w.mu.Unlock()
	if n == 0 {
		return
	}
	w.cfg.Logger.V(1).Info("client gone while its requests waited", "remote", addrString(remote), "requests", n)
	if w.cfg.OnGone != nil {
		w.cfg.OnGone(n)
	}
}

func addrString(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}
