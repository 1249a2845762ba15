package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// MaxTimeoutSeconds is the longest request timeout a revision may set.
const MaxTimeoutSeconds = 3600

// DefaultTimeoutSeconds is the request timeout of a revision that sets none.
const DefaultTimeoutSeconds = 300

// RevisionSpec is what one immutable revision of a Function runs: a single
// serving container and how it is scaled and served.
// +kubebuilder:validation:XValidation:rule="self.containers.all(c, !has(c.volumeMounts) || c.volumeMounts.all(m, has(self.volumes) && self.volumes.exists(v, v.name == m.name)))",message="every volumeMounts name must be the name of a volume in volumes",messageExpression="'containers[0].volumeMounts: volume \"' + self.containers[0].volumeMounts.map(m, m.name).filter(n, !has(self.volumes) || !self.volumes.exists(v, v.name == n))[0] + '\" is not declared in volumes'"
type RevisionSpec struct {
	// Containers holds the one container that serves requests. The pod runs
	// only this container: Wake adds no sidecar. (MaxItems bounds the cost
	// of the containers' validation rules; the rule below gives the message.)
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=2
	// +kubebuilder:validation:XValidation:rule="self.size() == 1",message="exactly one serving container is supported"
	// +listType=atomic
	Containers []Container `json:"containers"`

	// Volumes that the container can mount: ConfigMaps and Secrets only.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=map
	// +listMapKey=name
	Volumes []Volume `json:"volumes,omitempty"`

	// ServiceAccountName is the service account the pods run as: a DNS
	// subdomain.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="must be a DNS subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// ImagePullSecrets name Secrets in the same namespace used to pull the
	// container's image.
	// +optional
	// +listType=atomic
	ImagePullSecrets []corev1.LocalObjectReference `json:"imagePullSecrets,omitempty"`

	// ContainerConcurrency is the most requests one pod serves at once; 0
	// means no limit. The activator never sends a pod more than this.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	ContainerConcurrency int32 `json:"containerConcurrency,omitempty"`

	// TimeoutSeconds is the longest a request may take, waiting for a pod
	// included, before the activator answers 504. Defaults to 300.
	// +optional
	// +kubebuilder:default=300
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=3600
	TimeoutSeconds int32 `json:"timeoutSeconds,omitempty"`

	// Scaling tunes the autoscaler for this revision. Unset fields take the
	// cluster defaults from the wake-config ConfigMap.
	// +optional
	Scaling *Scaling `json:"scaling,omitempty"`
}

// Container is the serving container of a revision.
// +kubebuilder:validation:XValidation:rule="!has(self.volumeMounts) || !self.volumeMounts.exists(m, has(m.mountPropagation) && m.mountPropagation == 'Bidirectional') || (has(self.securityContext) && has(self.securityContext.privileged) && self.securityContext.privileged)",message="Bidirectional mount propagation needs a privileged container (securityContext.privileged)",fieldPath=".volumeMounts"
type Container struct {
	// Name of the container. Defaults to "function".
	// +optional
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name,omitempty"`

	// Image is the container image reference, without whitespace.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule=`!self.matches('[[:space:]\\p{Z}\\x{85}]')`,message="an image reference must not contain whitespace"
	Image string `json:"image"`

	// ImagePullPolicy is when kubelet pulls the image.
	// +optional
	// +kubebuilder:validation:Enum=Always;IfNotPresent;Never
	ImagePullPolicy corev1.PullPolicy `json:"imagePullPolicy,omitempty"`

	// Command overrides the image's entrypoint.
	// +optional
	// +listType=atomic
	Command []string `json:"command,omitempty"`

	// Args overrides the image's arguments.
	// +optional
	// +listType=atomic
	Args []string `json:"args,omitempty"`

	// WorkingDir is the container's working directory.
	// +optional
	WorkingDir string `json:"workingDir,omitempty"`

	// Port is where the container listens for requests.
	// +optional
	Port *ServingPort `json:"port,omitempty"`

	// Env sets environment variables.
	// +optional
	// +listType=map
	// +listMapKey=name
	// +kubebuilder:validation:MaxItems=1024
	Env []EnvVar `json:"env,omitempty"`

	// EnvFrom sets environment variables from ConfigMaps and Secrets. Each
	// item names one ConfigMap or one Secret.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=64
	// +kubebuilder:validation:items:XValidation:rule="has(self.configMapRef) != has(self.secretRef)",message="envFrom sets exactly one of configMapRef or secretRef"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.configMapRef) || (has(self.configMapRef.name) && self.configMapRef.name.size() > 0)",message="configMapRef.name is required",fieldPath=".configMapRef"
	// +kubebuilder:validation:items:XValidation:rule="!has(self.secretRef) || (has(self.secretRef.name) && self.secretRef.name.size() > 0)",message="secretRef.name is required",fieldPath=".secretRef"
	EnvFrom []corev1.EnvFromSource `json:"envFrom,omitempty"`

	// Resources are the container's compute requests and limits.
	// +optional
	Resources ResourceRequirements `json:"resources,omitempty"`

	// ReadinessProbe tells when a pod can take requests. The activator also
	// probes new pods itself (on this probe's HTTP path, or by TCP) to send
	// the first request as early as possible. Defaults to a TCP probe on the
	// serving port; a probe that names no port checks the serving port, and
	// one without a handler is a TCP probe of it.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.terminationGracePeriodSeconds)",message="a readiness probe must not set terminationGracePeriodSeconds",fieldPath=".terminationGracePeriodSeconds"
	ReadinessProbe *Probe `json:"readinessProbe,omitempty"`

	// LivenessProbe restarts a container that stops answering. Without a
	// handler it is a TCP probe of the serving port.
	// +optional
	// +kubebuilder:validation:XValidation:rule="!has(self.successThreshold) || self.successThreshold <= 1",message="a liveness probe's successThreshold must be 1",fieldPath=".successThreshold"
	LivenessProbe *Probe `json:"livenessProbe,omitempty"`

	// VolumeMounts mount the revision's volumes into the container.
	// +optional
	// +listType=map
	// +listMapKey=mountPath
	// +kubebuilder:validation:MaxItems=64
	VolumeMounts []VolumeMount `json:"volumeMounts,omitempty"`

	// SecurityContext sets the container's security options.
	// +optional
	SecurityContext *corev1.SecurityContext `json:"securityContext,omitempty"`
}

// ServingPort is the port the serving container listens on.
type ServingPort struct {
	// ContainerPort is the port number. Defaults to 8080.
	// +optional
	// +kubebuilder:default=8080
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=65535
	ContainerPort int32 `json:"containerPort,omitempty"`

	// Protocol is how the activator talks to the container: "http1" or
	// "h2c" (HTTP/2 without TLS, for gRPC). Defaults to http1.
	// +optional
	// +kubebuilder:default=http1
	Protocol Protocol `json:"protocol,omitempty"`
}

// Protocol is the HTTP protocol a container serves.
// +kubebuilder:validation:Enum=http1;h2c
type Protocol string

// Protocols a container may serve.
const (
	// ProtocolHTTP1 is HTTP/1.1.
	ProtocolHTTP1 Protocol = "http1"
	// ProtocolH2C is HTTP/2 over cleartext.
	ProtocolH2C Protocol = "h2c"
)

// DefaultPort is the serving port of a container that names none.
const DefaultPort = 8080

// ServingContainer returns the revision's serving container, or nil when
// there is none.
func (s *RevisionSpec) ServingContainer() *Container {
	if len(s.Containers) == 0 {
		return nil
	}
	return &s.Containers[0]
}

// ServingPort returns the port the serving container listens on.
func (c *Container) ServingPort() int32 {
	if c.Port == nil || c.Port.ContainerPort == 0 {
		return DefaultPort
	}
	return c.Port.ContainerPort
}

// ServingProtocol returns the protocol the serving container speaks.
func (c *Container) ServingProtocol() Protocol {
	if c.Port == nil || c.Port.Protocol == "" {
		return ProtocolHTTP1
	}
	return c.Port.Protocol
}

// Timeout returns the revision's request timeout in seconds.
func (s *RevisionSpec) Timeout() int32 {
	if s.TimeoutSeconds <= 0 {
		return DefaultTimeoutSeconds
	}
	return s.TimeoutSeconds
}
