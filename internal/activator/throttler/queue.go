package throttler

import (
	"sync"
	"time"
)

// waiter is a request waiting in a revision's queue. It is linked into the
// queue and, once given a pod (or an error), removed and signalled on ch.
// Fields other than ch are guarded by the revision mutex until the waiter
// is signalled, and owned by the waiting goroutine afterwards.
type waiter struct {
	prev, next *waiter
	queued     bool

	// ch receives one value when pod or err is set. Buffered (1), so the
	// sender never blocks.
	ch  chan struct{}
	pod *pod
	err error

	// excl is the pod a retry must not go to (nil for first attempts).
	excl *pod
	// forward is set for a first attempt with mode Forward: it leaves
	// the queue with a NoShareError if this activator turns out to have no
	// share of a revision that has capacity.
	forward bool

	enqueued time.Time
	released time.Time
	// cold is set when the revision had no usable pod at enqueue time;
	// endpointWait and readyWait are then the cold-start phases.
	cold                    bool
	endpointWait, readyWait time.Duration
}

var waiterPool = sync.Pool{New: func() any { return &waiter{ch: make(chan struct{}, 1)} }}

// getWaiter returns a clean waiter from the pool.
func getWaiter() *waiter {
	return waiterPool.Get().(*waiter)
}

// putWaiter returns w to the pool. w must be out of any queue and its
// signal consumed.
func putWaiter(w *waiter) {
	ch := w.ch
	*w = waiter{ch: ch}
	waiterPool.Put(w)
}

// waitQueue is an intrusive FIFO list of waiters.
type waitQueue struct {
	head, tail *waiter
	n          int
}

// len returns the number of queued waiters.
func (q *waitQueue) len() int { return q.n }

// pushBack appends w (a new arrival).
func (q *waitQueue) pushBack(w *waiter) {
	w.prev, w.next, w.queued = q.tail, nil, true
	if q.tail != nil {
		q.tail.next = w
	} else {
		q.head = w
	}
	q.tail = w
	q.n++
}

// pushFront prepends w: a retry, which arrived before everyone queued.
func (q *waitQueue) pushFront(w *waiter) {
	w.prev, w.next, w.queued = nil, q.head, true
	if q.head != nil {
		q.head.prev = w
	} else {
		q.tail = w
	}
	q.head = w
	q.n++
}

// remove unlinks w, which must be queued.
func (q *waitQueue) remove(w *waiter) {
	if w.prev != nil {
		w.prev.next = w.next
	} else {
		q.head = w.next
	}
	if w.next != nil {
		w.next.prev = w.prev
	} else {
		q.tail = w.prev
	}
	w.prev, w.next, w.queued = nil, nil, false
	q.n--
}
