package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
)

// These types have the JSON shape of their corev1 namesakes, so that
// manifests written against those keep working, but they carry the
// validation that corev1's types leave to the Pod's own validation: a
// Function that passes them makes a Deployment the API server accepts. The
// Revision builder converts them to corev1.

// EnvVar is an environment variable of the serving container.
// +kubebuilder:validation:XValidation:rule="!has(self.valueFrom) || !has(self.value) || size(self.value) == 0",message="value and valueFrom are mutually exclusive",fieldPath=".valueFrom"
type EnvVar struct {
	// Name of the variable: printable ASCII characters other than '='.
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="self.matches('^[ -<>-~]+$')",message="an environment variable name must be non-empty and consist of printable ASCII characters other than '='"
	Name string `json:"name"`

	// Value of the variable. $(VAR_NAME) refers to a variable defined
	// before, and $$ escapes a $.
	// +optional
	Value string `json:"value,omitempty"`

	// ValueFrom reads the value from a ConfigMap, a Secret, a field of the
	// pod or a resource of the container, instead of value.
	// +optional
	// +kubebuilder:validation:XValidation:rule="[has(self.fieldRef), has(self.resourceFieldRef), has(self.configMapKeyRef), has(self.secretKeyRef), has(self.fileKeyRef)].exists_one(x, x)",message="valueFrom must set exactly one of fieldRef, resourceFieldRef, configMapKeyRef, secretKeyRef or fileKeyRef"
	ValueFrom *corev1.EnvVarSource `json:"valueFrom,omitempty"`
}

// ResourceRequirements are the compute resources of the serving container.
// A request of cpu, memory or ephemeral-storage must not exceed its limit.
// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || !('cpu' in self.requests) || !('cpu' in self.limits) || !isQuantity(string(self.requests['cpu'])) || !isQuantity(string(self.limits['cpu'])) || quantity(string(self.requests['cpu'])).compareTo(quantity(string(self.limits['cpu']))) <= 0",message="the cpu request must be less than or equal to the cpu limit",fieldPath=".requests['cpu']"
// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || !('memory' in self.requests) || !('memory' in self.limits) || !isQuantity(string(self.requests['memory'])) || !isQuantity(string(self.limits['memory'])) || quantity(string(self.requests['memory'])).compareTo(quantity(string(self.limits['memory']))) <= 0",message="the memory request must be less than or equal to the memory limit",fieldPath=".requests['memory']"
// +kubebuilder:validation:XValidation:rule="!has(self.requests) || !has(self.limits) || !('ephemeral-storage' in self.requests) || !('ephemeral-storage' in self.limits) || !isQuantity(string(self.requests['ephemeral-storage'])) || !isQuantity(string(self.limits['ephemeral-storage'])) || quantity(string(self.requests['ephemeral-storage'])).compareTo(quantity(string(self.limits['ephemeral-storage']))) <= 0",message="the ephemeral-storage request must be less than or equal to the ephemeral-storage limit",fieldPath=".requests['ephemeral-storage']"
type ResourceRequirements struct {
	// Limits are the most of each resource the container may use.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Limits corev1.ResourceList `json:"limits,omitempty"`

	// Requests are the resources reserved for the container. A resource
	// with a limit and no request requests its limit.
	// +optional
	// +kubebuilder:validation:MaxProperties=32
	Requests corev1.ResourceList `json:"requests,omitempty"`
}

// VolumeMount mounts one of the revision's volumes into the container.
// +kubebuilder:validation:XValidation:rule="!has(self.subPath) || !has(self.subPathExpr) || size(self.subPath) == 0 || size(self.subPathExpr) == 0",message="subPath and subPathExpr are mutually exclusive",fieldPath=".subPathExpr"
// +kubebuilder:validation:XValidation:rule="!has(self.recursiveReadOnly) || self.recursiveReadOnly == 'Disabled' || (has(self.readOnly) && self.readOnly && (!has(self.mountPropagation) || self.mountPropagation == 'None'))",message="recursiveReadOnly may only be set with readOnly true and mountPropagation None or unset",fieldPath=".recursiveReadOnly"
type VolumeMount struct {
	// Name of the volume, one of the revision's volumes.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	Name string `json:"name"`

	// ReadOnly mounts the volume read-only.
	// +optional
	ReadOnly bool `json:"readOnly,omitempty"`

	// RecursiveReadOnly makes a read-only mount read-only in its submounts
	// too: Disabled (the default), IfPossible or Enabled.
	// +optional
	// +kubebuilder:validation:Enum=Disabled;IfPossible;Enabled
	RecursiveReadOnly *corev1.RecursiveReadOnlyMode `json:"recursiveReadOnly,omitempty"`

	// MountPath is where the volume appears in the container.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=4096
	MountPath string `json:"mountPath"`

	// SubPath mounts this path of the volume instead of its root.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.startsWith('..') && !self.contains('/../') && !self.endsWith('/..')",message="must be a relative path that neither contains nor starts with '..'"
	SubPath string `json:"subPath,omitempty"`

	// MountPropagation is how mounts propagate between the host and the
	// container: None (the default), HostToContainer or Bidirectional
	// (privileged containers only).
	// +optional
	// +kubebuilder:validation:Enum=None;HostToContainer;Bidirectional
	MountPropagation *corev1.MountPropagationMode `json:"mountPropagation,omitempty"`

	// SubPathExpr is like subPath, with $(VAR_NAME) references to the
	// container's environment expanded.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	SubPathExpr string `json:"subPathExpr,omitempty"`
}
