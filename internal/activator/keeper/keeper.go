package keeper

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
)

// Options configures a Keeper.
type Options struct {
	// Socket is the unix socket's path, on a volume only the keeper and
	// the activator mount.
	Socket string
	// Addrs are the TCP addresses to hold (the activator's --addr).
	Addrs []string
	// TermWait bounds how long Run keeps the sockets after its context
	// ended while an activator still holds a lease; default 45s, the
	// activator pod's terminationGracePeriodSeconds.
	TermWait time.Duration
	// Log receives the keeper's logs.
	Log logr.Logger
}

// Keeper holds listening TCP sockets and hands duplicates of them to
// activators that connect to its unix socket. It never accepts on them.
type Keeper struct {
	opts Options
	uid  int // the only peer uid served
	unix *net.UnixListener

	mu      sync.Mutex
	addrs   []string // what Addrs resolved to when first opened
	fds     []int    // the sockets; nil once released
	conns   map[*net.UnixConn]bool
	leases  int
	changed chan struct{} // signalled when leases or fds change
	stopped bool          // Run is closing everything: no more takes
}

// New opens the TCP sockets, then the unix socket (replacing a stale
// one left by an earlier keeper), readable and writable by its own uid
// only.
func New(o Options) (*Keeper, error) {
	if len(o.Addrs) == 0 || len(o.Addrs) > maxListeners {
		return nil, fmt.Errorf("keeper needs 1 to %d addresses, got %d", maxListeners, len(o.Addrs))
	}
	if o.TermWait <= 0 {
		o.TermWait = 45 * time.Second
	}
	k := &Keeper{opts: o, uid: os.Getuid(), conns: map[*net.UnixConn]bool{}, changed: make(chan struct{}, 1)}
	var err error
	if k.fds, k.addrs, err = listenAll(o.Addrs); err != nil {
		return nil, err
	}
	if err := os.Remove(o.Socket); err != nil && !errors.Is(err, os.ErrNotExist) {
		closeFDs(k.fds)
		return nil, fmt.Errorf("remove stale keeper socket: %w", err)
	}
	if k.unix, err = net.ListenUnix("unix", &net.UnixAddr{Name: o.Socket, Net: "unix"}); err != nil {
		closeFDs(k.fds)
		return nil, fmt.Errorf("keeper socket: %w", err)
	}
	// The volume is the pod's alone and peers are checked by uid; the
	// mode is one more fence.
	if err := os.Chmod(o.Socket, 0o600); err != nil {
		_ = k.unix.Close()
		closeFDs(k.fds)
		return nil, fmt.Errorf("keeper socket: %w", err)
	}
	return k, nil
}

// Addrs returns the addresses of the held sockets.
func (k *Keeper) Addrs() []string { return k.addrs }

// Run serves activators until ctx ends and then until no lease is held
// or the sockets were released, at most Options.TermWait; then it closes
// everything and returns. It returns an error only if the unix socket
// failed.
func (k *Keeper) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		<-ctx.Done()
		k.awaitIdle(k.opts.TermWait)
		_ = k.unix.Close()
	}()
	var err error
	for {
		c, aerr := k.unix.AcceptUnix()
		if aerr != nil {
			if ctx.Err() == nil {
				err = fmt.Errorf("keeper socket: %w", aerr)
				_ = k.unix.Close()
			}
			break
		}
		wg.Add(1)
		go func() { defer wg.Done(); k.serve(c) }()
	}
	if err == nil {
		<-stopped
	}
	k.mu.Lock()
	k.stopped = true
	closeFDs(k.fds)
	k.fds = nil
	for c := range k.conns {
		_ = c.Close()
	}
	k.mu.Unlock()
	wg.Wait()
	k.opts.Log.Info("listener keeper stopped", "addresses", k.addrs)
	return err
}

// awaitIdle waits until no lease is held or the sockets are released,
// at most wait.
func (k *Keeper) awaitIdle(wait time.Duration) {
	k.opts.Log.Info("stopping once the activator has exited", "atMost", wait.String())
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		k.mu.Lock()
		idle := k.leases == 0 || k.fds == nil
		k.mu.Unlock()
		if idle {
			return
		}
		select {
		case <-k.changed:
		case <-t.C:
			k.opts.Log.Info("stopping while the activator still holds the sockets")
			return
		}
	}
}

// signal notes a change of leases or fds for awaitIdle.
func (k *Keeper) signal() {
	select {
	case k.changed <- struct{}{}:
	default:
	}
}

// serve runs one activator's connection: a take, then releases until the
// activator goes away. Anything unexpected ends the connection.
func (k *Keeper) serve(c *net.UnixConn) {
	defer func() { _ = c.Close() }()
	log := k.opts.Log
	if err := checkPeer(c, k.uid); err != nil {
		log.Info("refused a peer", "reason", err.Error())
		return
	}
	r := newLineReader(c)
	_ = c.SetDeadline(time.Now().Add(exchangeTimeout))
	if line, err := readLine(r); err != nil || line != lineTake {
		log.Info("refused a peer", "reason", "expected a take", "line", line, "error", fmt.Sprint(err))
		return
	}
	if err := k.take(c); err != nil {
		log.Error(err, "hand over sockets")
		return
	}
	defer k.endLease(c)
	log.Info("sockets handed over", "addresses", k.addrs)
	_ = c.SetDeadline(time.Time{}) // a lease lasts as long as the activator runs
	for {
		line, err := readLine(r)
		if err != nil || line != lineRelease {
			if line != "" {
				log.Info("ended a lease", "reason", "unexpected line", "line", line)
			}
			return
		}
		k.release()
		_ = c.SetWriteDeadline(time.Now().Add(exchangeTimeout))
		if _, err := c.Write([]byte(lineReleased + "\n")); err != nil {
			return
		}
		log.Info("sockets released by the activator")
	}
}

// take opens the sockets if they were released and sends them on c, which
// then holds a lease. The lock keeps them open while they are sent.
func (k *Keeper) take(c *net.UnixConn) error {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.stopped {
		return errors.New("keeper stopping")
	}
	if k.fds == nil {
		fds, _, err := listenAll(k.addrs)
		if err != nil {
			return err
		}
		k.fds = fds
	}
	_ = c.SetWriteDeadline(time.Now().Add(exchangeTimeout))
	if _, _, err := c.WriteMsgUnix([]byte(header(len(k.fds))), syscall.UnixRights(k.fds...), nil); err != nil {
		return err
	}
	k.conns[c] = true
	k.leases++
	k.signal()
	return nil
}

// endLease notes that the activator on c is gone.
func (k *Keeper) endLease(c *net.UnixConn) {
	k.mu.Lock()
	defer k.mu.Unlock()
	delete(k.conns, c)
	k.leases--
	k.signal()
}

// release closes the keeper's copies of the sockets.
func (k *Keeper) release() {
	k.mu.Lock()
	defer k.mu.Unlock()
	closeFDs(k.fds)
	k.fds = nil
	k.signal()
}

// listenAll opens a listening TCP socket on each address and returns
// their descriptors (outside Go's poller, so that handing them over
// changes no flag of theirs) and addresses.
func listenAll(addrs []string) (fds []int, bound []string, err error) {
	for _, a := range addrs {
		fd, addr, err := listen(a)
		if err != nil {
			closeFDs(fds)
			return nil, nil, fmt.Errorf("listen %s: %w", a, err)
		}
		fds, bound = append(fds, fd), append(bound, addr)
	}
	return fds, bound, nil
}

// listen opens one listening TCP socket and returns a duplicate of its
// descriptor.
func listen(addr string) (int, string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return -1, "", err
	}
	defer func() { _ = ln.Close() }() // the duplicate holds the socket
	raw, err := ln.(*net.TCPListener).SyscallConn()
	if err != nil {
		return -1, "", err
	}
	fd, derr := -1, error(nil)
	if err := raw.Control(func(s uintptr) { fd, derr = syscall.Dup(int(s)) }); err != nil {
		return -1, "", err
	}
	if derr != nil {
		return -1, "", derr
	}
	syscall.CloseOnExec(fd)
	return fd, ln.Addr().String(), nil
}

// closeFDs closes every descriptor.
func closeFDs(fds []int) {
	for _, fd := range fds {
		_ = syscall.Close(fd)
	}
}
