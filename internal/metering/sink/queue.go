package sink

import "github.com/wakefn/wake/internal/metering"

// minRing is the smallest buffer a ring allocates, and keepRing the
// largest it keeps once emptied.
const (
	minRing  = 64
	keepRing = 4096
)

// ring is a FIFO of events whose buffer grows as needed up to the bound
// push is given, and is released once the ring empties after a burst: an
// idle Exporter holds little memory, a busy one at most its bound.
type ring struct {
	buf  []metering.Event
	head int
	n    int
}

// count returns the number of events held.
func (r *ring) count() int { return r.n }

// push appends ev; the caller keeps r.count() below limit.
func (r *ring) push(ev metering.Event, limit int) {
	if r.n == len(r.buf) {
		r.grow(limit)
	}
	r.buf[(r.head+r.n)%len(r.buf)] = ev
	r.n++
}

// grow doubles the buffer, within [minRing, limit].
func (r *ring) grow(limit int) {
	size := min(max(2*len(r.buf), minRing), max(limit, 1))
	buf := make([]metering.Event, size)
	k := copy(buf, r.buf[r.head:])
	copy(buf[k:], r.buf[:r.head])
	r.buf, r.head = buf, 0
}

// pop removes and returns the oldest event; the ring must not be empty.
func (r *ring) pop() metering.Event {
	ev := r.buf[r.head]
	r.buf[r.head] = metering.Event{} // let its strings go
	r.head = (r.head + 1) % len(r.buf)
	r.n--
	if r.n == 0 {
		r.head = 0
		if len(r.buf) > keepRing {
			r.buf = nil
		}
	}
	return ev
}
