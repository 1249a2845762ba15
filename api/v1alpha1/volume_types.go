package v1alpha1

// Volume is a ConfigMap or a Secret the container can mount.
// +kubebuilder:validation:XValidation:rule="has(self.configMap) != has(self.secret)",message="a volume sets exactly one of configMap or secret"
type Volume struct {
	// Name of the volume, referenced by volumeMounts.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	// ConfigMap mounts a ConfigMap.
	// +optional
	ConfigMap *ConfigMapVolumeSource `json:"configMap,omitempty"`

	// Secret mounts a Secret.
	// +optional
	Secret *SecretVolumeSource `json:"secret,omitempty"`
}

// ConfigMapVolumeSource mounts the keys of a ConfigMap as files.
type ConfigMapVolumeSource struct {
	// Name of the ConfigMap, in the Function's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="must be a DNS subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	Name string `json:"name,omitempty"`

	// Items project the listed keys to the given paths, and only those.
	// Unset, every key becomes a file named after it.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Items []KeyToPath `json:"items,omitempty"`

	// DefaultMode is the permission bits of the files, from 0 to 0777
	// (511). Defaults to 0644.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=511
	DefaultMode *int32 `json:"defaultMode,omitempty"`

	// Optional lets the pod start when the ConfigMap or a listed key is
	// missing.
	// +optional
	Optional *bool `json:"optional,omitempty"`
}

// SecretVolumeSource mounts the keys of a Secret as files.
type SecretVolumeSource struct {
	// SecretName is the name of the Secret, in the Function's namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="must be a DNS subdomain: lowercase letters, digits, '-' and '.', starting and ending with a letter or digit"
	SecretName string `json:"secretName,omitempty"`

	// Items project the listed keys to the given paths, and only those.
	// Unset, every key becomes a file named after it.
	// +optional
	// +listType=atomic
	// +kubebuilder:validation:MaxItems=256
	Items []KeyToPath `json:"items,omitempty"`

	// DefaultMode is the permission bits of the files, from 0 to 0777
	// (511). Defaults to 0644.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=511
	DefaultMode *int32 `json:"defaultMode,omitempty"`

	// Optional lets the pod start when the Secret or a listed key is
	// missing.
	// +optional
	Optional *bool `json:"optional,omitempty"`
}

// KeyToPath projects one key of a ConfigMap or Secret to a file.
type KeyToPath struct {
	// Key to project.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	Key string `json:"key"`

	// Path of the file, relative to the mount point.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('/') && !self.startsWith('..') && !self.contains('/../') && !self.endsWith('/..')",message="must be a relative path that neither contains nor starts with '..'"
	Path string `json:"path"`

	// Mode is the permission bits of the file, from 0 to 0777 (511).
	// Defaults to the volume's defaultMode.
	// +optional
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=511
	Mode *int32 `json:"mode,omitempty"`
}
