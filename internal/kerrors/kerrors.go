// Package kerrors classifies errors from the Kubernetes API for the
// reconcilers: which are no failure (IgnoreConflict) and which are the API
// server refusing a write that would fail the same way again (IsRefusal,
// IsQuotaExceeded).
//
// What belongs here: error classification only, pure functions of an
// error. Writes to the API live with their callers (the status write is in
// controllers/reconciler).
package kerrors

import apierrors "k8s.io/apimachinery/pkg/api/errors"

// IgnoreConflict returns nil for a Conflict error. A reconciler whose status
// write conflicts read an object that has changed since: the change's own
// watch event brings the object back for another reconcile, so the conflict
// is not a failure worth an error log and a backoff.
func IgnoreConflict(err error) error {
	if apierrors.IsConflict(err) {
		return nil
	}
	return err
}
