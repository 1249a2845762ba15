package revision

import (
	"context"
	"fmt"
	"maps"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/config"
)

// reconcileDeployment creates the revision's Deployment, or updates it when
// what Wake sets on it changed, and returns it. It returns nil, and marks
// the revision, when a Deployment of that name belongs to someone else.
func (r *Reconciler) reconcileDeployment(ctx context.Context, rev *servingv1alpha1.Revision, cfg *config.Config) (*appsv1.Deployment, error) {
	want := resources.MakeDeployment(rev, cfg)
	have := &appsv1.Deployment{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.createChild(ctx, rev, want, "Deployment", "replicas", *want.Spec.Replicas); err != nil {
			return nil, err
		}
		return want, nil
	case err != nil:
		return nil, fmt.Errorf("get deployment %s/%s: %w", want.Namespace, want.Name, err)
	}

	if !metav1.IsControlledBy(have, rev) {
		rev.Status.ActualReplicas = nil
		r.markNotOwned(ctx, rev, have, "Deployment")
		return nil, nil
	}
	if !deploymentChanged(have, want) {
		return have, nil
	}
	updated := have.DeepCopy()
	updated.Labels = merged(have.Labels, want.Labels)
	updated.Annotations = merged(have.Annotations, want.Annotations)
	updated.Spec = want.Spec
	// The autoscaler owns replicas, and a selector never changes.
	updated.Spec.Replicas = have.Spec.Replicas
	updated.Spec.Selector = have.Spec.Selector
	if err := r.updateChild(ctx, rev, updated, "Deployment"); err != nil {
		return nil, err
	}
	return updated, nil
}

// deploymentChanged reports whether have differs from want in what Wake
// sets. The hash of the spec Wake last wrote decides for the spec: comparing
// specs would take every field the API server defaults (probe timeouts,
// restart policy, ...) for a change. Labels and annotations are compared
// too, since the revision's pods must keep their labels to be found; labels
// others add are kept.
func deploymentChanged(have, want *appsv1.Deployment) bool {
	return have.Annotations[servingv1alpha1.SpecHashAnnotationKey] != want.Annotations[servingv1alpha1.SpecHashAnnotationKey] ||
		!equality.Semantic.DeepDerivative(want.Labels, have.Labels) ||
		!equality.Semantic.DeepDerivative(want.Annotations, have.Annotations) ||
		!equality.Semantic.DeepDerivative(want.Spec.Template.Labels, have.Spec.Template.Labels)
}

// markNotOwned marks the revision as blocked by obj, which someone else
// controls, and records a warning the first time.
func (r *Reconciler) markNotOwned(ctx context.Context, rev *servingv1alpha1.Revision, obj client.Object, kind string) {
	before := rev.Status.GetCondition(servingv1alpha1.RevisionConditionResourcesAvailable).DeepCopy()
	rev.Status.MarkResourceNotOwned(kind, obj.GetName())
	after := rev.Status.GetCondition(servingv1alpha1.RevisionConditionResourcesAvailable)
	if before != nil && before.Reason == after.Reason && before.Message == after.Message {
		return
	}
	log.FromContext(ctx).Info("existing object is not controlled by the revision", "kind", kind, "name", obj.GetName())
	r.Recorder.Eventf(rev, nil, corev1.EventTypeWarning, servingv1alpha1.ReasonNotOwned, "Reconcile",
		"%s %q exists and is not controlled by the revision; Wake leaves it alone", kind, obj.GetName())
}

// merged returns have with want's entries set.
func merged(have, want map[string]string) map[string]string {
	if len(have) == 0 && len(want) == 0 {
		return have
	}
	out := make(map[string]string, len(have)+len(want))
	maps.Copy(out, have)
	maps.Copy(out, want)
	return out
}
