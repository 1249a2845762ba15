package resources

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// defaultReadinessPeriodSeconds is how often kubelet probes a pod with the
// default readiness probe. The activator probes starting pods much faster
// itself; kubelet's probe keeps the EndpointSlices honest afterwards.
const defaultReadinessPeriodSeconds = 1

// readinessProbe returns the user's readiness probe aimed at the serving
// port, or a TCP probe of the serving port when there is none.
func readinessProbe(p *corev1.Probe, port int32) *corev1.Probe {
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
func livenessProbe(p *corev1.Probe, port int32) *corev1.Probe {
	if p == nil {
		return nil
	}
	return aimProbe(p, port)
}

// aimProbe returns a copy of p that checks the serving port wherever p
// names no port, and by TCP when p has no handler at all.
func aimProbe(p *corev1.Probe, port int32) *corev1.Probe {
	out := p.DeepCopy()
	h := &out.ProbeHandler
	switch {
	case h.HTTPGet != nil:
		if isZeroPort(h.HTTPGet.Port) {
			h.HTTPGet.Port = intstr.FromInt32(port)
		}
	case h.TCPSocket != nil:
		if isZeroPort(h.TCPSocket.Port) {
			h.TCPSocket.Port = intstr.FromInt32(port)
		}
	case h.GRPC != nil:
		if h.GRPC.Port == 0 {
			h.GRPC.Port = port
		}
	case h.Exec == nil:
		h.TCPSocket = &corev1.TCPSocketAction{Port: intstr.FromInt32(port)}
	}
	return out
}

// isZeroPort reports whether a probe's port is unset.
func isZeroPort(p intstr.IntOrString) bool {
	return p == intstr.IntOrString{}
}
