package stats

import "sync"

// ring is a bounded FIFO of encoded frames that drops the oldest when full.
type ring struct {
	mu     sync.Mutex
	frames [][]byte
	head   int
	n      int
	ready  chan struct{} // has a token while frames are waiting
}

func newRing(size int) *ring {
	return &ring{frames: make([][]byte, size), ready: make(chan struct{}, 1)}
}

// push adds frame f and reports whether the oldest frame was dropped for it.
func (q *ring) push(f []byte) (dropped bool) {
	q.mu.Lock()
	if q.n == len(q.frames) {
		q.frames[q.head] = nil
		q.head = (q.head + 1) % len(q.frames)
		q.n--
		dropped = true
	}
	q.frames[(q.head+q.n)%len(q.frames)] = f
	q.n++
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
	return dropped
}

// pop removes the oldest frame.
func (q *ring) pop() ([]byte, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.n == 0 {
		return nil, false
	}
	f := q.frames[q.head]
	q.frames[q.head] = nil
	q.head = (q.head + 1) % len(q.frames)
	q.n--
	return f, true
}
