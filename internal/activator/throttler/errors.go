package throttler

import (
	"errors"
	"strconv"
)

// ErrQueueFull is returned by Try at once when the revision's wait queue
// already holds its maximum number of requests. The handler answers 503 with
// Retry-After.
var ErrQueueFull = errors.New("throttler: revision queue full")

// ErrHeldLimit is returned by Try at once when the requests waiting in all
// revisions' queues together already number Options.MaxHeld. The handler
// answers 503 with Retry-After.
var ErrHeldLimit = errors.New("throttler: too many requests held")

// ErrNamespaceHeldLimit is returned by Try at once when the requests
// waiting in the queues of the revision's namespace already number
// Options.MaxHeldPerNamespace. The handler answers 429: the limit is the
// tenant's, not the activator's.
var ErrNamespaceHeldLimit = errors.New("throttler: too many requests held for the namespace")

// ErrTenantHeldLimit is returned by Try at once when the requests waiting
// in the queues of the revision's namespace already number this
// activator's share of the namespace's tenant limit (Options.TenantHeld).
// The handler answers 429.
var ErrTenantHeldLimit = errors.New("throttler: tenant limit on held requests reached")

// ErrClientGone is returned by Try when Options.OnWait said the client of a
// waiting request has gone (closed or reset its connection). The handler
// answers nothing and closes the connection.
var ErrClientGone = errors.New("throttler: client gone while waiting")

// ErrRevisionNotFound is returned by Try for a revision that UpsertRevision
// has not registered (or that was deleted). The handler answers 503.
var ErrRevisionNotFound = errors.New("throttler: revision not found")

// ErrRevisionRemoved is returned by Try to requests that were waiting for
// capacity when their revision was deleted (or the Throttler closed). The
// handler answers 503.
var ErrRevisionRemoved = errors.New("throttler: revision removed while request was waiting")

// ErrTimeout is returned by Try (wrapped together with
// context.DeadlineExceeded) when the request's context deadline passed while
// it waited for capacity. The handler answers 504.
var ErrTimeout = errors.New("throttler: timed out waiting for capacity")

// ErrDialFailed is the sentinel the caller of Try wraps into the error its
// fn returns when the connection to the pod failed before any byte of the
// request was sent. Try then releases that pod and retries once on another
// pod. Wrap it, e.g. fmt.Errorf("dial %s: %w: %w", dest, ErrDialFailed, err).
var ErrDialFailed = errors.New("throttler: dial to pod failed")

// ErrBadAnswer is the sentinel the caller of Try wraps into the error its fn
// returns when the pod answered in a way that breaks the activator's bounds
// (headers over the limit, endless informational answers, an invalid
// status). The pod is then ejected: it gets no requests for
// Options.EjectBase, doubling with each ejection in a row up to
// Options.EjectMax, and requests for the revision go to its other pods or
// wait. A successful request resets the doubling.
var ErrBadAnswer = errors.New("throttler: pod answered out of bounds")

// NoShareError is returned at once by Try (mode Forward) when the revision has
// ready capacity (pods × containerConcurrency > 0) but all of it belongs to
// other activators: this one's share is 0 on every pod, and waiting would
// last until the revision scales out. Owner is the index (among the sorted
// ready activators, as passed to SetActivators) of the activator that owns
// the revision's first slot; the caller forwards the request there.
type NoShareError struct {
	Owner int
}

func (e *NoShareError) Error() string {
	return "throttler: no share of the revision's capacity; activator " + strconv.Itoa(e.Owner) + " owns it"
}
