package proxy

import (
	"context"
	"errors"
	"net"
	"strings"
)

// Kind classifies a failed Serve.
type Kind uint8

const (
	// KindBackend is a failure talking to the pod after connecting.
	KindBackend Kind = iota + 1
	// KindDial means connecting to the pod failed: no byte was sent.
	KindDial
	// KindClientBody means reading the client's request body failed.
	KindClientBody
	// KindClientTimeout means the client stalled while sending its body.
	KindClientTimeout
	// KindTimeout means the request's context deadline passed.
	KindTimeout
	// KindCanceled means the client went away.
	KindCanceled
	// KindBadAnswer means the pod answered out of bounds: heads over
	// Options.MaxHeaderBytes, more informational answers than allowed, a
	// status outside 200-599, or a switch of protocols nobody asked for.
	KindBadAnswer
)

// String names the kind.
func (k Kind) String() string {
	switch k {
	case KindBackend:
		return "backend"
	case KindDial:
		return "dial"
	case KindClientBody:
		return "client-body"
	case KindClientTimeout:
		return "client-timeout"
	case KindTimeout:
		return "timeout"
	case KindBadAnswer:
		return "bad-answer"
	case KindCanceled:
		return "canceled"
	}
	return "unknown"
}

// Error is what Serve returns on failure.
type Error struct {
	// Kind classifies the failure.
	Kind Kind
	// Written is set when the response status was already sent to the
	// client, so no error status can be written any more.
	Written bool
	// Dest is the pod address.
	Dest string
	// Err is the underlying error.
	Err error
}

func (e *Error) Error() string {
	return "proxy to " + e.Dest + " (" + e.Kind.String() + "): " + e.Err.Error()
}

// Unwrap returns the underlying error.
func (e *Error) Unwrap() error { return e.Err }

// classify decides the kind of a round-trip failure.
func (r *Request) classify(err error) Kind {
	switch r.body.failure() {
	case bodyTimeout:
		return KindClientTimeout
	case bodyFailed:
		return KindClientBody
	}
	if cerr := r.out.Context().Err(); cerr != nil {
		if errors.Is(cerr, context.DeadlineExceeded) {
			return KindTimeout
		}
		return KindCanceled
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return KindDial
	}
	if isBadAnswer(err) {
		return KindBadAnswer
	}
	return KindBackend
}

// errBadAnswer marks the h1 client's refusals of a pod's answer other than
// errHeadTooLarge.
var errBadAnswer = errors.New("pod answered out of bounds")

// isBadAnswer reports whether err is a refusal of the pod's answer: the h1
// client's own, or net/http's for heads over MaxResponseHeaderBytes (which
// it reports only as text).
func isBadAnswer(err error) bool {
	if errors.Is(err, errHeadTooLarge) || errors.Is(err, errBadAnswer) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "server response headers exceeded") || strings.Contains(msg, "header list larger than")
}
