package resources

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/names"
)

// h2cAppProtocol is the standard appProtocol of HTTP/2 over cleartext; the
// EndpointSlices copy it, so readers of the slices know how to speak to the
// pods.
const h2cAppProtocol = "kubernetes.io/h2c"

// MakeService returns rev's headless Service. It has no cluster IP, so
// kube-proxy programs nothing for it; its EndpointSlices list the revision's
// pods, ready or not, for the activator.
func MakeService(rev *servingv1alpha1.Revision) *corev1.Service {
	port := int32(servingv1alpha1.DefaultPort)
	portName := string(servingv1alpha1.ProtocolHTTP1)
	var appProtocol *string
	if c := rev.Spec.ServingContainer(); c != nil {
		port = c.ServingPort()
		portName = PortName(c)
		if c.ServingProtocol() == servingv1alpha1.ProtocolH2C {
			appProtocol = ptr.To(h2cAppProtocol)
		}
	}
	return &corev1.Service{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            names.Service(rev.Name),
			Namespace:       rev.Namespace,
			Labels:          makeLabels(rev),
			Annotations:     makeAnnotations(rev),
			OwnerReferences: []metav1.OwnerReference{ownerRef(rev)},
		},
		Spec: corev1.ServiceSpec{
			ClusterIP: corev1.ClusterIPNone,
			Selector:  makeSelector(rev),
			Ports: []corev1.ServicePort{{
				Name:        portName,
				Protocol:    corev1.ProtocolTCP,
				AppProtocol: appProtocol,
				Port:        port,
				TargetPort:  intstr.FromInt32(port),
			}},
		},
	}
}

// PortName returns the name of the serving port: the protocol the container
// speaks, "http1" or "h2c".
func PortName(c *servingv1alpha1.Container) string {
	return string(c.ServingProtocol())
}
