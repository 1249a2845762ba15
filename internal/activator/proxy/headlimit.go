package proxy

import (
	"errors"
	"net"
)

// DefaultMaxHeaderBytes bounds a message head in either direction: the
// data-plane server's MaxHeaderBytes for clients' requests, and
// Options.MaxHeaderBytes for pods' answers.
const DefaultMaxHeaderBytes = 64 << 10

// errHeadTooLarge is a pod's answer whose heads exceed Options.MaxHeaderBytes.
var errHeadTooLarge = errors.New("pod's response headers exceed the limit")

// headLimiter sits between a pod connection and its bufio.Reader. Armed,
// it lets at most budget bytes be read from the connection and counts them
// (pulled); disarmed (budget < 0), it passes reads through. The h1 client
// arms it while it reads an answer's heads, so that a pod sending endless
// headers costs a bounded read, never unbounded memory.
type headLimiter struct {
	nc     net.Conn
	budget int // bytes that may still be read; < 0: no limit
	pulled int // bytes read since armed
}

// Read implements io.Reader.
func (l *headLimiter) Read(p []byte) (int, error) {
	if l.budget < 0 {
		return l.nc.Read(p)
	}
	if l.budget == 0 {
		return 0, errHeadTooLarge
	}
	if len(p) > l.budget {
		p = p[:l.budget]
	}
	n, err := l.nc.Read(p)
	l.budget -= n
	l.pulled += n
	return n, err
}

func (l *headLimiter) arm(budget int) { l.budget, l.pulled = budget, 0 }

func (l *headLimiter) disarm() { l.budget = -1 }

// exhausted reports whether the armed budget is used up.
func (l *headLimiter) exhausted() bool { return l.budget == 0 }
