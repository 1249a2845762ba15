package revision

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
)

// reconcileService creates the revision's headless Service, or updates it
// when its ports, selector or labels changed. It returns false, and marks
// the revision, when a Service of that name belongs to someone else.
func (r *Reconciler) reconcileService(ctx context.Context, rev *servingv1alpha1.Revision) (bool, error) {
	want := resources.MakeService(rev)
	have := &corev1.Service{}
	err := r.Client.Get(ctx, client.ObjectKeyFromObject(want), have)
	switch {
	case apierrors.IsNotFound(err):
		if err := r.createChild(ctx, rev, want, "Service"); err != nil {
			return false, err
		}
		return true, nil
	case err != nil:
		return false, fmt.Errorf("get service %s/%s: %w", want.Namespace, want.Name, err)
	}

	if !metav1.IsControlledBy(have, rev) {
		r.markNotOwned(ctx, rev, have, "Service")
		return false, nil
	}
	if !serviceChanged(have, want) {
		return true, nil
	}
	updated := have.DeepCopy()
	updated.Labels = merged(have.Labels, want.Labels)
	updated.Annotations = merged(have.Annotations, want.Annotations)
	updated.Spec.Ports = want.Spec.Ports
	updated.Spec.Selector = want.Spec.Selector
	if err := r.updateChild(ctx, rev, updated, "Service"); err != nil {
		return false, err
	}
	return true, nil
}

// serviceChanged reports whether have lacks something Wake sets on it.
// Ports and the selector must match exactly; extra labels are kept.
func serviceChanged(have, want *corev1.Service) bool {
	return !equality.Semantic.DeepEqual(want.Spec.Selector, have.Spec.Selector) ||
		!equality.Semantic.DeepDerivative(want.Spec.Ports, have.Spec.Ports) ||
		len(want.Spec.Ports) != len(have.Spec.Ports) ||
		!equality.Semantic.DeepDerivative(want.Labels, have.Labels) ||
		!equality.Semantic.DeepDerivative(want.Annotations, have.Annotations)
}
