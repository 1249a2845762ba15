package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Scaling tunes how the autoscaler sizes a revision. Every field is
// optional; an unset field takes its cluster default from the wake-config
// ConfigMap.
// +kubebuilder:validation:XValidation:rule="!has(self.minScale) || !has(self.maxScale) || self.maxScale == 0 || self.minScale <= self.maxScale",message="minScale must not be greater than maxScale"
// +kubebuilder:validation:XValidation:rule="!has(self.initialScale) || !has(self.maxScale) || self.maxScale == 0 || self.initialScale <= self.maxScale",message="initialScale must not be greater than maxScale"
type Scaling struct {
	// MinScale is the fewest pods the revision keeps, even when idle.
	// 0 (the default) lets it scale to zero.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MinScale *int32 `json:"minScale,omitempty"`

	// MaxScale is the most pods the revision may have; 0 means no limit.
	// +optional
	// +kubebuilder:validation:Minimum=0
	MaxScale *int32 `json:"maxScale,omitempty"`

	// InitialScale is the number of pods a new revision starts with, and
	// the number it wakes to from zero (at least 1). Defaults to 1.
	// +optional
	// +kubebuilder:validation:Minimum=0
	InitialScale *int32 `json:"initialScale,omitempty"`

	// Target is the number of concurrent requests per pod the autoscaler
	// aims for. Defaults to containerConcurrency × targetUtilizationPercentage,
	// or 100 × targetUtilizationPercentage when concurrency is unlimited.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=10000
	Target *int32 `json:"target,omitempty"`

	// TargetUtilizationPercentage is the share of containerConcurrency the
	// autoscaler aims to use. Defaults to 70.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	TargetUtilizationPercentage *int32 `json:"targetUtilizationPercentage,omitempty"`

	// ScaleToZeroGracePeriod is how long the revision must have been idle
	// before its last pod is removed. Defaults to 30s.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$')",message="scaleToZeroGracePeriod must be a duration such as 30s, 1m or 1h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || (duration(self) >= duration('0s') && duration(self) <= duration('1h'))",message="scaleToZeroGracePeriod must be between 0s and 1h"
	ScaleToZeroGracePeriod *metav1.Duration `json:"scaleToZeroGracePeriod,omitempty"`

	// ScaleDownDelay keeps the highest decision of this period before
	// scaling down, which smooths out short dips. Defaults to 0s.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$')",message="scaleDownDelay must be a duration such as 30s, 1m or 1h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || (duration(self) >= duration('0s') && duration(self) <= duration('1h'))",message="scaleDownDelay must be between 0s and 1h"
	ScaleDownDelay *metav1.Duration `json:"scaleDownDelay,omitempty"`

	// StableWindow is the period over which concurrency is averaged for
	// normal decisions. Defaults to 60s.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$')",message="stableWindow must be a duration such as 30s, 1m or 1h"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || (duration(self) >= duration('6s') && duration(self) <= duration('1h'))",message="stableWindow must be between 6s and 1h"
	StableWindow *metav1.Duration `json:"stableWindow,omitempty"`

	// PanicWindowPercentage sizes the panic window as a share of the stable
	// window. Defaults to 10.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	PanicWindowPercentage *int32 `json:"panicWindowPercentage,omitempty"`

	// PanicThresholdPercentage is the demand, as a share of ready capacity
	// over the panic window, that switches to panic mode (fast scale-up, no
	// scale-down). Defaults to 200.
	// +optional
	// +kubebuilder:validation:Minimum=110
	// +kubebuilder:validation:Maximum=1000
	PanicThresholdPercentage *int32 `json:"panicThresholdPercentage,omitempty"`
}
