// Package coldlane holds what the cluster benchmarks share to compare a
// Wake Function woken from zero with a plain Deployment scaled 0 → 1: the
// two lanes' objects (same image, same readiness probe as Wake's), a client
// that sends requests through the activator, and the readers of what a cold
// start reports.
package coldlane

import (
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

const (
	// Image is the hello test function, built and imported by `make dev`.
	Image = "wake/hello:dev"
	// Port is the port hello listens on.
	Port = 8080
	// AppLabel labels a plain Deployment's pods with its name.
	AppLabel = "app"
)

// Body is what hello answers when its greeting is greeting.
func Body(greeting string) string { return greeting + "\n" }

// PlainDeployment is the floor lane: hello at 0 replicas, never pulled, with
// the readiness probe Wake gives a revision that names none (TCP on the
// serving port every second).
func PlainDeployment(ns, name, greeting string) *appsv1.Deployment {
	labels := map[string]string{AppLabel: name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](0),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{Containers: []corev1.Container{{
					Name:            "hello",
					Image:           Image,
					ImagePullPolicy: corev1.PullNever,
					Env:             []corev1.EnvVar{{Name: "GREETING", Value: greeting}},
					Ports:           []corev1.ContainerPort{{Name: "http", ContainerPort: Port}},
					ReadinessProbe: &corev1.Probe{
						ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(Port)}},
						PeriodSeconds: 1,
					},
				}}},
			},
		},
	}
}

// PlainService is the plain Deployment's headless Service: its
// EndpointSlices say when a pod is ready, as a revision's do for the
// activator, and kube-proxy programs nothing for it.
func PlainService(ns, name string) *corev1.Service {
	return &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  map[string]string{AppLabel: name},
			Ports:     []corev1.ServicePort{{Name: "http", Port: Port, TargetPort: intstr.FromInt32(Port)}},
		},
	}
}

// MinStableWindow is the shortest stable window Wake accepts: a Function
// with it scales back to zero 6 s after its last request.
const MinStableWindow = 6 * time.Second

// Function is the Wake lane: hello as a Function that scales back to zero
// stableWindow after its last request. initialScale nil keeps Wake's default
// (one pod at creation); 0 creates it at zero.
func Function(ns, name, greeting string, initialScale *int32, stableWindow time.Duration) *servingv1alpha1.Function {
	return &servingv1alpha1.Function{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: servingv1alpha1.FunctionSpec{Template: servingv1alpha1.RevisionTemplate{
			Spec: servingv1alpha1.RevisionSpec{
				Containers: []servingv1alpha1.Container{{
					Image:           Image,
					ImagePullPolicy: corev1.PullNever,
					Env:             []servingv1alpha1.EnvVar{{Name: "GREETING", Value: greeting}},
				}},
				Scaling: &servingv1alpha1.Scaling{
					InitialScale:           initialScale,
					StableWindow:           &metav1.Duration{Duration: stableWindow},
					ScaleToZeroGracePeriod: &metav1.Duration{Duration: 0},
				},
			},
		}},
	}
}
