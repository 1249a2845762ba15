package tenancy

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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
