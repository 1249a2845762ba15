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

	"github.com/wakefn/wake/internal/poll"
)

// dialInterval is how often Take tries a keeper that is not up yet.
const dialInterval = 100 * time.Millisecond

// Lease is an activator's hold on a keeper's sockets: the connection to
// the keeper, open while the activator runs, and the listeners taken.
type Lease struct {
	conn      *net.UnixConn
	listeners []net.Listener

	once       sync.Once
	releaseErr error
}

// Take connects to the keeper at socket, trying again while it is not up
// yet until wait has passed (the containers of a pod start in parallel),
// and takes its listeners. A keeper that answers wrongly fails Take at
// once, and every descriptor received is closed.
func Take(ctx context.Context, socket string, wait time.Duration) (*Lease, error) {
	ctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	var conn *net.UnixConn
	if _, err := poll.Until(ctx, dialInterval, func(ctx context.Context) error {
		var d net.Dialer
		c, err := d.DialContext(ctx, "unix", socket)
		if err != nil {
			return err
		}
		conn = c.(*net.UnixConn)
		return nil
	}); err != nil {
		return nil, fmt.Errorf("listener keeper at %s: %w", socket, err)
	}
	lns, err := receive(conn)
	if err != nil {
		_ = conn.Close()
		return nil, fmt.Errorf("listener keeper at %s: %w", socket, err)
	}
	return &Lease{conn: conn, listeners: lns}, nil
}

// Listeners returns the listeners taken. Closing one first releases the
// keeper's copies of all of them (Release): a listener is closed only
// when the activator stops accepting for good.
func (l *Lease) Listeners() []net.Listener {
	out := make([]net.Listener, len(l.listeners))
	for i, ln := range l.listeners {
		out[i] = &releasing{Listener: ln, lease: l}
	}
	return out
}

// Release asks the keeper to close its copies of the sockets and waits
// for its answer, so that once the activator closes its own the ports
// refuse connections, as they would without a keeper. Only the first call
// asks; later ones return its result.
func (l *Lease) Release() error {
	l.once.Do(func() { l.releaseErr = l.release() })
	return l.releaseErr
}

// release is Release's one exchange.
func (l *Lease) release() error {
	_ = l.conn.SetDeadline(time.Now().Add(exchangeTimeout))
	defer func() { _ = l.conn.SetDeadline(time.Time{}) }()
	if _, err := l.conn.Write([]byte(lineRelease + "\n")); err != nil {
		return fmt.Errorf("release listeners: %w", err)
	}
	line, err := readLine(newLineReader(l.conn))
	if err == nil && line != lineReleased {
		err = fmt.Errorf("keeper answered %q", line)
	}
	if err != nil {
		return fmt.Errorf("release listeners: %w", err)
	}
	return nil
}

// Close ends the lease without releasing: the keeper keeps the sockets
// for the next activator. The listeners are not closed.
func (l *Lease) Close() error { return l.conn.Close() }

// releasing is a taken listener whose Close releases the keeper's copies
// first.
type releasing struct {
	net.Listener
	lease *Lease
}

// Close releases the keeper's copies, then closes this one.
func (r *releasing) Close() error {
	return errors.Join(r.lease.Release(), r.Listener.Close())
}

// receive asks for the sockets on c and turns what arrives into
// listeners, closing every descriptor received if anything is wrong.
func receive(c *net.UnixConn) ([]net.Listener, error) {
	_ = c.SetDeadline(time.Now().Add(exchangeTimeout))
	defer func() { _ = c.SetDeadline(time.Time{}) }()
	if _, err := c.Write([]byte(lineTake + "\n")); err != nil {
		return nil, err
	}
	buf := make([]byte, maxLine)
	oob := make([]byte, syscall.CmsgSpace(maxListeners*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	fds, ferr := parseRights(oob[:oobn])
	if err == nil {
		err = ferr
	}
	if err == nil && flags&syscall.MSG_CTRUNC != 0 {
		err = fmt.Errorf("keeper sent more than %d descriptors", maxListeners)
	}
	var want int
	if err == nil {
		want, err = parseHeader(buf[:n])
	}
	if err == nil && len(fds) != want {
		err = fmt.Errorf("keeper announced %d descriptors and sent %d", want, len(fds))
	}
	for i := 0; err == nil && i < len(fds); i++ {
		err = checkListening(fds[i])
	}
	if err != nil {
		closeFDs(fds)
		return nil, err
	}
	return listeners(fds)
}

// listeners turns listening sockets into listeners; it closes fds.
func listeners(fds []int) ([]net.Listener, error) {
	var lns []net.Listener
	var errs []error
	for _, fd := range fds {
		f := os.NewFile(uintptr(fd), "keeper-socket")
		ln, err := net.FileListener(f) // a duplicate: f is closed
		_ = f.Close()
		if err != nil {
			errs = append(errs, err)
			continue
		}
		lns = append(lns, ln)
	}
	if err := errors.Join(errs...); err != nil {
		for _, ln := range lns {
			_ = ln.Close()
		}
		return nil, err
	}
	return lns, nil
}

// parseRights returns the descriptors in the control messages oob, even
// when it also returns an error, so that they can be closed.
func parseRights(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("control messages: %w", err)
	}
	var fds []int
	var errs []error
	for i := range msgs {
		got, err := syscall.ParseUnixRights(&msgs[i])
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fds = append(fds, got...)
	}
	return fds, errors.Join(errs...)
}
