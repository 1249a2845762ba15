package revision

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/kerrors"
)

// createChild creates one of the revision's children (kind "Deployment" or
// "Service") with a log line, or records a warning event on the revision
// when it fails; a refusal also marks the revision (see markRefused). A
// routine creation records no event: two per Function were a tenth of the
// API writes when thousands of Functions were applied at once.
func (r *Reconciler) createChild(ctx context.Context, rev *servingv1alpha1.Revision, obj client.Object, kind string, logValues ...any) error {
	if err := r.Client.Create(ctx, obj); err != nil {
		r.Recorder.Eventf(rev, nil, corev1.EventTypeWarning, ReasonCreationFailed, "Create",
			"Failed to create %s %q: %v", kind, obj.GetName(), err)
		markRefused(rev, kind, err)
		return fmt.Errorf("create %s %s/%s: %w", strings.ToLower(kind), obj.GetNamespace(), obj.GetName(), err)
	}
	log.FromContext(ctx).Info("created child", append([]any{"kind", kind, "name", obj.GetName()}, logValues...)...)
	return nil
}

// updateChild writes a changed child, with an event on the revision and a
// log line either way. A refusal also marks a revision that is not ready
// (see markRefused); a ready one keeps serving from the child as it is, and
// the warning event and the retried error say why it is not updated.
func (r *Reconciler) updateChild(ctx context.Context, rev *servingv1alpha1.Revision, obj client.Object, kind string) error {
	if err := r.Client.Update(ctx, obj); err != nil {
		r.Recorder.Eventf(rev, obj, corev1.EventTypeWarning, ReasonUpdateFailed, "Update",
			"Failed to update %s %q: %v", kind, obj.GetName(), err)
		if !rev.Status.IsReady() {
			markRefused(rev, kind, err)
		}
		return fmt.Errorf("update %s %s/%s: %w", strings.ToLower(kind), obj.GetNamespace(), obj.GetName(), err)
	}
	log.FromContext(ctx).Info("updated child", "kind", kind, "name", obj.GetName())
	r.Recorder.Eventf(rev, obj, corev1.EventTypeNormal, ReasonUpdated, "Update", "Updated %s %q", kind, obj.GetName())
	return nil
}

// markRefused marks the revision's resources unavailable, with the API
// server's message, when err refuses a write of its child kind (see
// kerrors.IsRefusal): writing it again would fail the same way until
// something else changes, so the revision fails now rather than deploy for
// ever. Other errors leave the status alone. Either way the caller returns
// err, so the write is tried again with a backoff; the ResourceQuota watch
// (see SetupWithManager) retries a quota refusal as soon as a quota changes.
func markRefused(rev *servingv1alpha1.Revision, kind string, err error) {
	if !kerrors.IsRefusal(err) {
		return
	}
	reason := servingv1alpha1.ReasonDeploymentRefused
	if kind == "Service" {
		reason = servingv1alpha1.ReasonServiceRefused
	}
	if kerrors.IsQuotaExceeded(err) {
		reason = servingv1alpha1.ReasonQuotaExceeded
	}
	rev.Status.MarkResourcesUnavailable(reason, err.Error())
}

// refused reports whether the revision's resources are unavailable because
// the API server refused one of its children (see markRefused).
func refused(rev *servingv1alpha1.Revision) bool {
	c := rev.Status.GetCondition(servingv1alpha1.RevisionConditionResourcesAvailable)
	if !c.IsFalse() {
		return false
	}
	switch c.Reason {
	case servingv1alpha1.ReasonDeploymentRefused, servingv1alpha1.ReasonServiceRefused, servingv1alpha1.ReasonQuotaExceeded:
		return true
	}
	return false
}
