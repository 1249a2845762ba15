package tenant

import (
	"fmt"
	"time"
)

// Names of the tenant limits, the values of the Wake-Limit header on the
// 429 answered to a request a limit refused.
const (
	// LimitInFlight is the limit on requests in flight (maxInFlight).
	LimitInFlight = "tenant-in-flight"
	// LimitHeld is the limit on requests held waiting (maxHeldRequests);
	// the throttler enforces it (throttler.ErrTenantHeldLimit).
	LimitHeld = "tenant-held-requests"
	// LimitRate is the limit on the rate of requests (requestsPerSecond
	// and burst).
	LimitRate = "tenant-rate"
)

// Error is a request refused by a tenant limit.
type Error struct {
	// Namespace is the namespace whose limit refused the request.
	Namespace string
	// Limit names the limit (LimitInFlight or LimitRate).
	Limit string
	// RetryAfter is when the client may try again: for the rate, the
	// time until a token is free, in whole seconds, at least one.
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	return fmt.Sprintf("tenant limit %s of namespace %s reached; retry after %v", e.Limit, e.Namespace, e.RetryAfter)
}
