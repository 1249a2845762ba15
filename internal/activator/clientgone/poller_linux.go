package clientgone

import (
	"errors"
	"fmt"
	"syscall"
)

// epoll watches sockets for the peer's FIN (EPOLLRDHUP) or RST (EPOLLHUP,
// EPOLLERR, reported whatever the mask), one shot each. Its own epoll
// instance is separate from the Go runtime's, so registering a socket here
// changes nothing in how net/http reads it.
type epoll struct {
	fd   int
	wake [2]int // a pipe; a byte on wake[1] stops run
}

// wakeID is the id of the wake pipe; sockets get ids from 1.
const wakeID = 0

func newPoller() (poller, error) {
	fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("epoll_create1: %w", err)
	}
	e := &epoll{fd: fd}
	if err := syscall.Pipe2(e.wake[:], syscall.O_CLOEXEC|syscall.O_NONBLOCK); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("pipe2: %w", err)
	}
	ev := syscall.EpollEvent{Events: syscall.EPOLLIN}
	setID(&ev, wakeID)
	if err := syscall.EpollCtl(fd, syscall.EPOLL_CTL_ADD, e.wake[0], &ev); err != nil {
		_ = e.free()
		return nil, fmt.Errorf("epoll_ctl wake pipe: %w", err)
	}
	return e, nil
}

func setID(ev *syscall.EpollEvent, id uint64) {
	ev.Fd, ev.Pad = int32(uint32(id)), int32(uint32(id>>32))
}

func getID(ev *syscall.EpollEvent) uint64 {
	return uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
}

// add registers rc's socket. Control holds the descriptor open for the
// call, so a connection closed meanwhile fails here rather than another
// socket that reused its number being registered. A socket the kernel
// has already seen closed is reported by the next wait.
func (e *epoll) add(rc syscall.RawConn, id uint64) error {
	ev := syscall.EpollEvent{Events: syscall.EPOLLRDHUP | syscall.EPOLLONESHOT}
	setID(&ev, id)
	var err error
	if cerr := rc.Control(func(fd uintptr) { err = syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_ADD, int(fd), &ev) }); cerr != nil {
		return cerr
	}
	return err
}

// del unregisters rc's socket. If the connection was closed meanwhile,
// Control fails and the kernel has already dropped the registration with
// the socket.
func (e *epoll) del(rc syscall.RawConn) {
	_ = rc.Control(func(fd uintptr) { _ = syscall.EpollCtl(e.fd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
}

func (e *epoll) run(gone func(id uint64)) {
	events := make([]syscall.EpollEvent, 128)
	for {
		n, err := syscall.EpollWait(e.fd, events, -1)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			return // EBADF, EFAULT or EINVAL: cannot happen with this epoll instance
		}
		for i := range events[:n] {
			id := getID(&events[i])
			if id == wakeID {
				return
			}
			gone(id)
		}
	}
}

func (e *epoll) stop() error {
	if _, err := syscall.Write(e.wake[1], []byte{1}); err != nil {
		return fmt.Errorf("wake client watcher: %w", err)
	}
	return nil
}

func (e *epoll) free() error {
	return errors.Join(syscall.Close(e.wake[0]), syscall.Close(e.wake[1]), syscall.Close(e.fd))
}
