// Package kerrors classifies errors from the Kubernetes API for the
// reconcilers: which are the API server refusing a write that would fail
// the same way again (IsRefusal, IsQuotaExceeded).
//
// What belongs here: error classification only, pure functions of an
// error. Writes to the API live with their callers (the status write is in
// controllers/reconciler).
package kerrors
