// Package throttler decides, for every request the activator proxies, which
// pod of the target revision it goes to and when.
//
// # Model
//
// Each revision has a list of pods taken from its EndpointSlices, and this
// activator's capacity on each: its share (see below) of the revision's
// containerConcurrency (cc). A pod is usable when its endpoint is ready, or
// when it has never been ready but has passed our own probe.
//
// Try takes a slot on a usable pod, calls fn with the pod's ip:port and the
// Outcome so far, and frees the slot when fn returns. The per-pod count of taken slots is the
// pod's breaker: with cc > 0 it never exceeds the pod's capacity. Pods are
// picked round-robin among those with a free slot. With cc == 0 (unlimited)
// there is no per-pod limit, and the pick is the less loaded of two random
// pods (power of two choices), which is close to least-loaded at O(1).
//
// # Queue
//
// When no slot is free (or no pod is usable) the request waits in the
// revision's queue, a FIFO bounded by the queue depth. A full queue fails
// at once with ErrQueueFull. Slots are handed over under the revision's
// mutex as they appear (a request finishes, a pod becomes usable, capacity
// grows): always to the oldest waiter, and a new arrival never overtakes a
// waiter. A waiter whose context ends leaves the queue at once; if it was
// handed a slot at that very moment, the slot goes on to the next waiter.
//
// # Scale from zero
//
// A request that finds no usable pod is a cold start: it waits, and the
// first such request of an episode calls Options.OnColdStart at once, to
// poke the autoscaler. Endpoints that are not ready and have never been
// ready are probed every ProbePeriod (25 ms) with a TCP connect, or an HTTP
// GET of the revision's readiness path (2xx or 3xx passes). A pod that
// passes is used at once, usually well before kubelet's own readiness probe
// marks it ready. Probing stops when the pod passes, becomes ready in the
// endpoints, leaves them, or the revision is deleted. A probed pod that a
// request then fails to dial (ErrDialFailed) is taken out and probed again.
//
// # Retries
//
// If fn's error wraps ErrDialFailed (no byte was sent), Try frees the slot
// and calls fn once more on another pod, waiting first in line within the
// same deadline.
//
// # Several activators
//
// Every activator sees the same pods sorted by address. Their pods*cc slots
// are cut into one contiguous run per activator (see share.go), so each
// pod's shares add up to exactly cc across activators: whole pods when pods
// is a multiple of the activator count, and split pods otherwise. With
// fewer slots than activators some activators get no capacity at all
// rather than all of them overcommitting the pods. Such an activator does
// not hold the requests until a scale-out: Try with mode Forward returns at once a
// *NoShareError naming the activator that owns the revision's first slot
// (computed from the same runs), for the caller to forward the request
// there, and requests already waiting with mode Forward (cold starts)
// leave the queue with that error as soon as the shares show it. Busy
// capacity and a revision without pods still wait. Try, for requests that
// were forwarded already, always waits, so a request moves at most once.
//
// # Observability
//
// Stats and RangeStats report queue depth, requests in flight and
// cumulative arrivals per revision. Each Try returns an Outcome with the
// time it waited, whether it was a cold start, and the phases of that wait;
// fn receives the same Outcome as it stands before the pod is called, so
// the handler can report the wait in the response's headers.
package throttler
