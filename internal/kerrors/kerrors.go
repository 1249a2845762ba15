// Package kerrors holds small helpers for Kubernetes API writes and their
// errors, shared by the reconcilers.
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
