// Package v1alpha1 holds the Wake serving API: Function, Revision and Route,
// and the operator's cluster-scoped DomainGrant, in group serving.wake.dev.
//
// +kubebuilder:object:generate=true
// +groupName=serving.wake.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of this API.
	GroupVersion = schema.GroupVersion{Group: "serving.wake.dev", Version: "v1alpha1"}

	// SchemeBuilder registers the API's types with a scheme.
	SchemeBuilder = runtime.NewSchemeBuilder(addKnownTypes)

	// AddToScheme adds the API's types to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// knownTypes are the API's root types, appended by the init functions of the
// *_types.go files through registerTypes.
var knownTypes []runtime.Object

// registerTypes records objects to be added to a scheme by AddToScheme. It is
// only called from init functions, before any scheme is built.
func registerTypes(objs ...runtime.Object) {
	knownTypes = append(knownTypes, objs...)
}

// addKnownTypes adds the API's types and the meta/v1 types every group
// version needs (ListOptions, WatchEvent, ...) to a scheme.
func addKnownTypes(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, knownTypes...)
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
