package revision

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// createChild creates one of the revision's children (kind "Deployment" or
// "Service"), with an event on the revision and a log line either way.
func (r *Reconciler) createChild(ctx context.Context, rev *servingv1alpha1.Revision, obj client.Object, kind string, logValues ...any) error {
	if err := r.Client.Create(ctx, obj); err != nil {
		r.Recorder.Eventf(rev, nil, corev1.EventTypeWarning, "CreationFailed", "Create",
			"Failed to create %s %q: %v", kind, obj.GetName(), err)
		return fmt.Errorf("create %s %s/%s: %w", strings.ToLower(kind), obj.GetNamespace(), obj.GetName(), err)
	}
	log.FromContext(ctx).Info("Created "+kind, append([]any{strings.ToLower(kind), obj.GetName()}, logValues...)...)
	r.Recorder.Eventf(rev, obj, corev1.EventTypeNormal, "Created", "Create", "Created %s %q", kind, obj.GetName())
	return nil
}

// updateChild writes a changed child, with an event on the revision and a
// log line either way.
func (r *Reconciler) updateChild(ctx context.Context, rev *servingv1alpha1.Revision, obj client.Object, kind string) error {
	if err := r.Client.Update(ctx, obj); err != nil {
		r.Recorder.Eventf(rev, obj, corev1.EventTypeWarning, "UpdateFailed", "Update",
			"Failed to update %s %q: %v", kind, obj.GetName(), err)
		return fmt.Errorf("update %s %s/%s: %w", strings.ToLower(kind), obj.GetNamespace(), obj.GetName(), err)
	}
	log.FromContext(ctx).Info("Updated "+kind, strings.ToLower(kind), obj.GetName())
	r.Recorder.Eventf(rev, obj, corev1.EventTypeNormal, "Updated", "Update", "Updated %s %q", kind, obj.GetName())
	return nil
}
