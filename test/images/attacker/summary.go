package main

import (
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
)

// summary is what the attacker achieved, printed as JSON at the end.
type summary struct {
	// Seconds is how long the attack ran.
	Seconds float64     `json:"seconds"`
	Stats   statsCounts `json:"stats"`
	Flood   floodCounts `json:"flood"`
	Hold    holdCounts  `json:"hold"`
	Upload  uploadCount `json:"upload"`
}

// counter is a JSON-encodable atomic count.
type counter struct{ atomic.Int64 }

// MarshalJSON encodes the count as a number (json.Marshaler: the error is
// part of the interface).
func (c *counter) MarshalJSON() ([]byte, error) { //nolint:unparam // json.Marshaler's signature
	return strconv.AppendInt(nil, c.Load(), 10), nil
}

// tally counts outcomes by name, such as HTTP statuses or error kinds.
type tally struct {
	mu sync.Mutex
	m  map[string]int64
}

// add counts one outcome.
func (t *tally) add(what string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.m == nil {
		t.m = map[string]int64{}
	}
	t.m[what]++
}

// MarshalJSON encodes the counts as an object.
func (t *tally) MarshalJSON() ([]byte, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := []byte{'{'}
	first := true
	for k, v := range t.m {
		if !first {
			out = append(out, ',')
		}
		first = false
		out = strconv.AppendQuote(out, k)
		out = append(out, ':')
		out = strconv.AppendInt(out, v, 10)
	}
	return append(out, '}'), nil
}

// errKind names the kind of a network error for tallies.
func errKind(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "none"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.EPIPE):
		return "broken-pipe"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case strings.Contains(err.Error(), "header"):
		return "header-error"
	default:
		return "other"
	}
}
