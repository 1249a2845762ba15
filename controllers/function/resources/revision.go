// Package resources builds the objects the Function reconciler creates.
package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/kmeta"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/names"
)

// TemplateHash returns a stable hash of a Function's template: equal
// templates have equal hashes.
func TemplateHash(fn *servingv1alpha1.Function) string {
	b, err := json.Marshal(fn.Spec.Template)
	if err != nil {
		panic(err) // the template is plain data; marshalling cannot fail
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:8])
}

// RecordedTemplateHash returns the template hash rev was made from: its
// servingv1alpha1.TemplateHashAnnotationKey, or, for a Revision made before
// that key, its LegacyTemplateHashAnnotationKey. It is "" when rev has
// neither.
func RecordedTemplateHash(rev *servingv1alpha1.Revision) string {
	if h, ok := rev.Annotations[servingv1alpha1.TemplateHashAnnotationKey]; ok {
		return h
	}
	return rev.Annotations[servingv1alpha1.LegacyTemplateHashAnnotationKey]
}

// MakeRevision returns the n-th Revision of fn, made from its current
// template and controlled by it.
func MakeRevision(fn *servingv1alpha1.Function, n int64) *servingv1alpha1.Revision {
	t := fn.Spec.Template
	labels := maps.Clone(t.Metadata.Labels)
	if labels == nil {
		labels = map[string]string{}
	}
	labels[servingv1alpha1.FunctionLabelKey] = fn.Name
	annotations := maps.Clone(t.Metadata.Annotations)
	if annotations == nil {
		annotations = map[string]string{}
	}
	annotations[servingv1alpha1.TemplateHashAnnotationKey] = TemplateHash(fn)
	return &servingv1alpha1.Revision{
		ObjectMeta: metav1.ObjectMeta{
			Name:            names.Revision(fn.Name, n),
			Namespace:       fn.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{*kmeta.NewControllerRef(fn)},
		},
		Spec: *t.Spec.DeepCopy(),
	}
}
