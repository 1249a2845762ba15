package main

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"github.com/wakefn/wake/internal/poll"
)

// holdPlan is the never-read attack.
type holdPlan struct {
	host  string
	path  string
	conns int
}

// holdCounts is what the never-read attack achieved.
type holdCounts struct {
	Opened    counter `json:"opened"`
	DialFails tally   `json:"dialFails"`
	// AtEnd says, for each connection still open when the attack ended,
	// whether response bytes were waiting ("answered"), the peer had
	// closed it ("closed" or an error kind), or nothing had come ("silent").
	AtEnd tally `json:"atEnd"`
}

// smallReceiveBuffer is the socket receive buffer of the never-read
// connections, so that the activator's writes block soon.
const smallReceiveBuffer = 4096

// holdUnread opens plan.conns connections (spread over ramp), sends one GET
// for a large response on each, never reads, and closes them all when ctx
// ends.
func holdUnread(ctx context.Context, activator string, plan holdPlan, ramp time.Duration, c *holdCounts) {
	d := net.Dialer{
		Timeout: 2 * time.Second,
		Control: func(_, _ string, rc syscall.RawConn) error {
			var serr error
			err := rc.Control(func(fd uintptr) {
				serr = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, smallReceiveBuffer)
			})
			return errors.Join(err, serr)
		},
	}
	req := []byte("GET " + plan.path + " HTTP/1.1\r\nHost: " + plan.host + "\r\nUser-Agent: wake-attacker\r\n\r\n")
	var wg sync.WaitGroup
	for i := range plan.conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			poll.Sleep(ctx, rampDelay(i, plan.conns, ramp))
			conn, err := d.DialContext(ctx, "tcp", activator)
			if err != nil {
				c.DialFails.add(errKind(err))
				return
			}
			defer func() { _ = conn.Close() }()
			_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
			if _, err := conn.Write(req); err != nil {
				c.DialFails.add("write-" + errKind(err))
				return
			}
			c.Opened.Add(1)
			<-ctx.Done()
			c.AtEnd.add(peek(conn))
		}()
	}
	wg.Wait()
}

// peek reads at most one byte without waiting and names what it found.
func peek(conn net.Conn) string {
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Millisecond))
	var b [1]byte
	n, err := conn.Read(b[:])
	switch {
	case n > 0:
		return "answered"
	case errors.Is(err, io.EOF):
		return "closed"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "silent"
	default:
		return errKind(err)
	}
}

// rampDelay is when the i-th of n starts when they are spread over ramp.
func rampDelay(i, n int, ramp time.Duration) time.Duration {
	if n == 0 {
		return 0
	}
	return ramp * time.Duration(i) / time.Duration(n)
}
