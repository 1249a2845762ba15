package kube

import (
	"knative.dev/pkg/apis"
)

// Problem is why a trigger runs no consumer; the status controller shows it
// as Condition, False (Unknown when Waiting), with Reason and Message.
type Problem struct {
	// Condition is the condition it sets.
	Condition apis.ConditionType
	// Reason and Message explain it.
	Reason, Message string
	// Waiting makes the condition Unknown: the trigger waits for something
	// that may yet come (a Function's URL), rather than being wrong.
	Waiting bool
}

func (p *Problem) Error() string { return p.Reason + ": " + p.Message }
