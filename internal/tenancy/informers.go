package tenancy

import (
	"maps"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// NamespacesOf returns the names and labels of namespaces listed as
// metadata only, as every reader of the tenant rules caches them.
func NamespacesOf(items []metav1.PartialObjectMetadata) []Namespace {
	out := make([]Namespace, len(items))
	for i := range items {
		out[i] = Namespace{Name: items[i].Name, Labels: items[i].Labels}
	}
	return out
}

// SpecChanged reports whether an informer's update of a TenantPolicy may
// change the limits: its spec did (its generation), not only its status.
// Anything it cannot tell counts as a change.
func SpecChanged(old, cur any) bool {
	o, ok1 := old.(*servingv1alpha1.TenantPolicy)
	c, ok2 := cur.(*servingv1alpha1.TenantPolicy)
	return !ok1 || !ok2 || o.Generation != c.Generation || o.Generation == 0
}

// LabelsChanged reports whether an informer's update of a namespace
// changed its labels. Anything it cannot tell counts as a change.
func LabelsChanged(old, cur any) bool {
	o, ok1 := old.(metav1.Object)
	c, ok2 := cur.(metav1.Object)
	return !ok1 || !ok2 || !maps.Equal(o.GetLabels(), c.GetLabels())
}
