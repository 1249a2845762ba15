//go:build e2e

package e2e

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// fnOption changes a Function built by newFunction.
type fnOption func(*servingv1alpha1.Function)

// newFunction returns a Function running the test image wake/<image>:dev
// with small resource requests and imagePullPolicy Never.
func newFunction(ns, name, image string, opts ...fnOption) *servingv1alpha1.Function {
	fn := &servingv1alpha1.Function{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: servingv1alpha1.FunctionSpec{Template: servingv1alpha1.RevisionTemplate{
			Spec: servingv1alpha1.RevisionSpec{
				Containers: []servingv1alpha1.Container{{
					Image:           testImage(image),
					ImagePullPolicy: corev1.PullNever,
				}},
			},
		}},
	}
	for _, o := range opts {
		o(fn)
	}
	return fn
}

// testImage names a test function's locally built image.
func testImage(name string) string { return "wake/" + name + ":dev" }

// withGreeting sets the hello function's GREETING.
func withGreeting(value string) fnOption {
	return withEnv("GREETING", value)
}

// withEnv sets an environment variable of the function's container.
func withEnv(name, value string) fnOption {
	return func(fn *servingv1alpha1.Function) {
		c := &fn.Spec.Template.Spec.Containers[0]
		c.Env = append(c.Env, servingv1alpha1.EnvVar{Name: name, Value: value})
	}
}

// withSerial sets containerConcurrency to 1: one request per pod at a time.
func withSerial() fnOption {
	return func(fn *servingv1alpha1.Function) { fn.Spec.Template.Spec.ContainerConcurrency = 1 }
}

// withTimeout sets timeoutSeconds.
func withTimeout(seconds int32) fnOption {
	return func(fn *servingv1alpha1.Function) { fn.Spec.Template.Spec.TimeoutSeconds = seconds }
}

// scaling returns the template's scaling settings, creating them if unset.
func scaling(fn *servingv1alpha1.Function) *servingv1alpha1.Scaling {
	if fn.Spec.Template.Spec.Scaling == nil {
		fn.Spec.Template.Spec.Scaling = &servingv1alpha1.Scaling{}
	}
	return fn.Spec.Template.Spec.Scaling
}

// withFastScaleToZero sets a 6 s stable window and the given grace period,
// so an idle function reaches zero within seconds.
func withFastScaleToZero(grace time.Duration) fnOption {
	return func(fn *servingv1alpha1.Function) {
		s := scaling(fn)
		s.StableWindow = &metav1.Duration{Duration: 6 * time.Second}
		s.ScaleToZeroGracePeriod = &metav1.Duration{Duration: grace}
	}
}

// withScaleBounds sets minScale and maxScale.
func withScaleBounds(minScale, maxScale int32) fnOption {
	return func(fn *servingv1alpha1.Function) {
		s := scaling(fn)
		s.MinScale, s.MaxScale = ptr.To(minScale), ptr.To(maxScale)
	}
}

// newRoute returns a Route for hosts with one catch-all rule over traffic.
func newRoute(ns, name string, hosts []string, traffic ...servingv1alpha1.TrafficTarget) *servingv1alpha1.Route {
	rt := &servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec:       servingv1alpha1.RouteSpec{Rules: []servingv1alpha1.RouteRule{{Traffic: traffic}}},
	}
	for _, h := range hosts {
		rt.Spec.Hosts = append(rt.Spec.Hosts, servingv1alpha1.Hostname(h))
	}
	return rt
}

// functionHost is the Function's default host.
func functionHost(ns, name string) string { return name + "." + ns + "." + suite.domain }
