package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// defaultReadinessPeriodSeconds is how often kubelet probes a pod with the
// default readiness probe. The activator probes starting pods much faster
// itself; kubelet's probe keeps the EndpointSlices honest afterwards.
const defaultReadinessPeriodSeconds = 1

// readinessProbe returns the user's readiness probe aimed at the serving
// port, or a TCP probe of the serving port when there is none.
func readinessProbe(p *servingv1alpha1.Probe, port int32) *corev1.Probe {
	if p == nil {
		return &corev1.Probe{
			ProbeHandler:  corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}},
			PeriodSeconds: defaultReadinessPeriodSeconds,
		}
	}
	return aimProbe(p, port)
}

// livenessProbe returns the user's liveness probe aimed at the serving port,
// or nil when there is none.
func livenessProbe(p *servingv1alpha1.Probe, port int32) *corev1.Probe {
	if p == nil {
		return nil
	}
	return aimProbe(p, port)
}

// aimProbe returns p as a corev1.Probe that checks the serving port wherever
// p names no port (or port 0), and by TCP when p has no handler at all.
func aimProbe(p *servingv1alpha1.Probe, port int32) *corev1.Probe {
	out := &corev1.Probe{
		InitialDelaySeconds:           p.InitialDelaySeconds,
		TimeoutSeconds:                p.TimeoutSeconds,
		PeriodSeconds:                 p.PeriodSeconds,
		SuccessThreshold:              p.SuccessThreshold,
		FailureThreshold:              p.FailureThreshold,
		TerminationGracePeriodSeconds: copyPtr(p.TerminationGracePeriodSeconds),
	}
	h := &out.ProbeHandler
	switch {
	case p.HTTPGet != nil:
		g := p.HTTPGet
		h.HTTPGet = &corev1.HTTPGetAction{
			Path:        g.Path,
			Port:        portOr(g.Port, port),
			Host:        g.Host,
			Scheme:      g.Scheme,
			HTTPHeaders: append([]corev1.HTTPHeader(nil), g.HTTPHeaders...),
		}
	case p.TCPSocket != nil:
		h.TCPSocket = &corev1.TCPSocketAction{Port: portOr(p.TCPSocket.Port, port), Host: p.TCPSocket.Host}
	case p.GRPC != nil:
		g := &corev1.GRPCAction{Port: port, Service: copyPtr(p.GRPC.Service)}
		if p.GRPC.Port != nil && *p.GRPC.Port != 0 {
			g.Port = *p.GRPC.Port
		}
		h.GRPC = g
	case p.Exec != nil:
		h.Exec = p.Exec.DeepCopy()
	default:
		h.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}
	}
	return out
}

// portOr returns p, or the serving port when p is unset or zero.
func portOr(p *intstr.IntOrString, serving int32) intstr.IntOrString {
	if p == nil || *p == (intstr.IntOrString{}) {
		return intstr.FromInt32(serving)
	}
	return *p
}
