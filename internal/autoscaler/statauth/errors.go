package statauth

import "fmt"

// Reasons a token is refused, for the "reason" label of the stat server's
// wake_autoscaler_stats_connections_refused_total.
const (
	// ReasonInvalid: not a token the API server accepts for the audience.
	ReasonInvalid = "invalid_token"
	// ReasonExpired: the token has expired (or has no expiry).
	ReasonExpired = "token_expired"
	// ReasonForbidden: a valid token, but not the activator's
	// ServiceAccount, or not bound to a pod.
	ReasonForbidden = "forbidden_identity"
	// ReasonUnavailable: the token could not be reviewed (the review failed,
	// is backing off after a failure, or is over its rate).
	ReasonUnavailable = "review_unavailable"
)

// Error is a refused token.
type Error struct {
	// Reason is one of the Reason constants.
	Reason string
	// Err says why.
	Err error
}

func (e *Error) Error() string { return fmt.Sprintf("token refused (%s): %v", e.Reason, e.Err) }

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

func refuse(reason string, format string, args ...any) *Error {
	return &Error{Reason: reason, Err: fmt.Errorf(format, args...)}
}
