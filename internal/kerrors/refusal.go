package kerrors

import (
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
)

// IsRefusal reports whether err is the API server refusing a write for what
// the object is or where it goes: Invalid (422), Forbidden (403, which
// includes an exceeded ResourceQuota, RBAC and admission denials), BadRequest
// (400) or RequestEntityTooLarge (413). Writing the same object again fails
// the same way until something else changes (the quota, a policy, the
// object). Conflicts, timeouts, throttling, internal errors (a webhook that
// could not be called) and errors that are not from the API server are not
// refusals: they are worth retrying as they are.
func IsRefusal(err error) bool {
	return apierrors.IsInvalid(err) || apierrors.IsForbidden(err) ||
		apierrors.IsBadRequest(err) || apierrors.IsRequestEntityTooLargeError(err)
}

// IsQuotaExceeded reports whether err is a ResourceQuota refusing a write:
// a Forbidden whose message says "exceeded quota", as the API server's
// ResourceQuota admission plugin words it.
func IsQuotaExceeded(err error) bool {
	return apierrors.IsForbidden(err) && strings.Contains(err.Error(), "exceeded quota")
}
