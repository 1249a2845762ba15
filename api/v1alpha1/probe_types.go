package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Probe checks the serving container's health. It has the shape of a
// corev1.Probe, but its port may be left out: Wake aims a probe without one
// at the serving port, and a probe without a handler is a TCP probe of the
// serving port.
// +kubebuilder:validation:XValidation:rule="[has(self.exec), has(self.httpGet), has(self.tcpSocket), has(self.grpc)].filter(x, x).size() <= 1",message="a probe sets at most one of exec, httpGet, tcpSocket or grpc"
type Probe struct {
	// ProbeHandler is how the container is checked.
	ProbeHandler `json:",inline"`

	// InitialDelaySeconds is how long after the container starts the
	// probe begins.
	// +optional
	// +kubebuilder:validation:Minimum=0
	InitialDelaySeconds int32 `json:"initialDelaySeconds,omitempty"`

	// TimeoutSeconds is how long one check may take. Defaults to 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`

	// PeriodSeconds is how often the container is checked. Defaults to 10
	// (1 for Wake's default readiness probe).
	// +optional
	// +kubebuilder:validation:Minimum=0
	PeriodSeconds int32 `json:"periodSeconds,omitempty"`

	// SuccessThreshold is how many checks in a row must pass after a
	// failure. Defaults to 1, which a liveness probe must keep.
	// +optional
	// +kubebuilder:validation:Minimum=0
	SuccessThreshold int32 `json:"successThreshold,omitempty"`

	// FailureThreshold is how many checks in a row must fail. Defaults
	// to 3.
	// +optional
	// +kubebuilder:validation:Minimum=0
	FailureThreshold int32 `json:"failureThreshold,omitempty"`

	// TerminationGracePeriodSeconds replaces the pod's grace period when a
	// liveness probe fails. A readiness probe must not set it.
	// +optional
	// +kubebuilder:validation:Minimum=1
	TerminationGracePeriodSeconds *int64 `json:"terminationGracePeriodSeconds,omitempty"`
}

// ProbeHandler is how a probe checks the container: at most one of its
// fields is set.
type ProbeHandler struct {
	// Exec runs a command in the container; exit status 0 is healthy.
	// +optional
	// +kubebuilder:validation:XValidation:rule="has(self.command) && size(self.command) > 0",message="exec must set a command"
	Exec *corev1.ExecAction `json:"exec,omitempty"`

	// HTTPGet sends an HTTP GET request; a status from 200 to 399 is
	// healthy.
	// +optional
	HTTPGet *HTTPGetAction `json:"httpGet,omitempty"`

	// TCPSocket opens a TCP connection.
	// +optional
	TCPSocket *TCPSocketAction `json:"tcpSocket,omitempty"`

	// GRPC sends a gRPC health check request.
	// +optional
	GRPC *GRPCAction `json:"grpc,omitempty"`
}

// HTTPGetAction is an HTTP GET request of a probe.
type HTTPGetAction struct {
	// Path of the request. Defaults to "/".
	// +optional
	Path string `json:"path,omitempty"`

	// Port is the number or name of the container port to probe. Unset or
	// 0, it is the serving port.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 65535 : (self.size() <= 15 && self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && self.matches('[a-z]') && !self.contains('--'))",message="must be a port number from 1 to 65535 (0 is the serving port) or an IANA service name"
	Port *intstr.IntOrString `json:"port,omitempty"`

	// Host to connect to. Defaults to the pod's IP.
	// +optional
	Host string `json:"host,omitempty"`

	// Scheme is HTTP (the default) or HTTPS.
	// +optional
	// +kubebuilder:validation:Enum=HTTP;HTTPS
	Scheme corev1.URIScheme `json:"scheme,omitempty"`

	// HTTPHeaders are added to the request.
	// +optional
	// +listType=atomic
	HTTPHeaders []corev1.HTTPHeader `json:"httpHeaders,omitempty"`
}

// TCPSocketAction is a TCP connection of a probe.
type TCPSocketAction struct {
	// Port is the number or name of the container port to probe. Unset or
	// 0, it is the serving port.
	// +optional
	// +kubebuilder:validation:XIntOrString
	// +kubebuilder:validation:XValidation:rule="type(self) == int ? self >= 0 && self <= 65535 : (self.size() <= 15 && self.matches('^[a-z0-9]([-a-z0-9]*[a-z0-9])?$') && self.matches('[a-z]') && !self.contains('--'))",message="must be a port number from 1 to 65535 (0 is the serving port) or an IANA service name"
	Port *intstr.IntOrString `json:"port,omitempty"`

	// Host to connect to. Defaults to the pod's IP.
	// +optional
	Host string `json:"host,omitempty"`
}

// GRPCAction is a gRPC health check of a probe.
type GRPCAction struct {
	// Port is the port number of the gRPC service. Unset or 0, it is the
	// serving port.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=65535
	Port *int32 `json:"port,omitempty"`

	// Service is the service name placed in the gRPC HealthCheckRequest.
	// +optional
	// +default=""
	Service *string `json:"service"`
}
