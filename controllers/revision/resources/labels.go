package resources

import (
	"maps"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// lastAppliedAnnotation is kubectl's copy of the applied manifest; it
// describes the Revision, not its children.
const lastAppliedAnnotation = "kubectl.kubernetes.io/last-applied-configuration"

// makeLabels returns the labels of the revision's Deployment, Service and
// pods: the Revision's own labels (those its Function's template gave it)
// plus the function and revision labels.
func makeLabels(rev *servingv1alpha1.Revision) map[string]string {
	labels := make(map[string]string, len(rev.Labels)+2)
	maps.Copy(labels, rev.Labels)
	labels[servingv1alpha1.RevisionLabelKey] = rev.Name
	return labels
}

// makeAnnotations returns the Revision's annotations, for its children and
// pods, without kubectl's bookkeeping. It returns nil when there are none.
func makeAnnotations(rev *servingv1alpha1.Revision) map[string]string {
	if len(rev.Annotations) == 0 {
		return nil
	}
	annotations := maps.Clone(rev.Annotations)
	delete(annotations, lastAppliedAnnotation)
	if len(annotations) == 0 {
		return nil
	}
	return annotations
}

// makeSelector returns the labels that select the revision's pods. It never
// changes for a revision, since a Deployment's selector is immutable.
func makeSelector(rev *servingv1alpha1.Revision) map[string]string {
	return map[string]string{servingv1alpha1.RevisionLabelKey: rev.Name}
}
