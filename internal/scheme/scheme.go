// Package scheme builds the runtime scheme Wake's components share.
package scheme

import (
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/runtime"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// New returns a scheme with the Kubernetes types Wake uses and Wake's own.
func New() *runtime.Scheme {
	s := runtime.NewScheme()
	for _, add := range []func(*runtime.Scheme) error{
		corev1.AddToScheme, appsv1.AddToScheme, autoscalingv1.AddToScheme, coordinationv1.AddToScheme,
		discoveryv1.AddToScheme, eventsv1.AddToScheme, servingv1alpha1.AddToScheme,
	} {
		if err := add(s); err != nil {
			panic(err) // only fails on conflicting registrations, a programming error
		}
	}
	return s
}
