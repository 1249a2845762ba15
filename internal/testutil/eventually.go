// Package testutil holds helpers shared by Wake's tests at every tier:
// unit, envtest, integration and e2e.
package testutil

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/poll"
)

// Check is a condition that Eventually waits for: either a bool, or an
// error that says what was seen instead. Prefer the error: a timeout
// reports it.
type Check interface {
	func() bool | func(context.Context) error
}

// errNotYet is what a bool Check reports while it is false.
var errNotYet = errors.New("condition false")

// Eventually polls check until it holds, and returns how long that took.
// If it does not hold within timeout, Eventually fails t with what and the
// check's last error. It polls every thousandth of timeout, between 1 ms
// and 250 ms.
func Eventually[C Check](t testing.TB, timeout time.Duration, what string, check C) time.Duration {
	t.Helper()
	var fn func(context.Context) error
	switch c := any(check).(type) {
	case func() bool:
		fn = func(context.Context) error {
			if c() {
				return nil
			}
			return errNotYet
		}
	case func(context.Context) error:
		fn = c
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	took, err := poll.Until(ctx, min(max(timeout/1000, time.Millisecond), 250*time.Millisecond), fn)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	return took
}
