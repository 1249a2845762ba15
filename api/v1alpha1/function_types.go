package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Function is a serverless workload: every change of its template becomes a
// new immutable Revision, and its URL sends all traffic to the latest ready
// one. An idle Function runs no pods; the first request wakes it.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=fn,categories=wake
// +kubebuilder:printcolumn:name="URL",type=string,JSONPath=`.status.url`
// +kubebuilder:printcolumn:name="Latest",type=string,JSONPath=`.status.latestReadyRevisionName`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
//
// A Function's name is checked when it is created (a name never changes, so
// objects made under older rules stay editable): its revisions are named
// {name}-{NNNNN} and each becomes a Service, whose name is a DNS-1035 label
// of at most 63 characters.
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || self.metadata.name.size() <= 57",message="must be at most 57 characters: revisions are named {name}-{NNNNN} and become Services, whose names are at most 63",fieldPath=".metadata.name",optionalOldSelf=true
// +kubebuilder:validation:XValidation:rule="oldSelf.hasValue() || self.metadata.name.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="must be a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit): revisions become Services, whose names are such labels",fieldPath=".metadata.name",optionalOldSelf=true
type Function struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec is what the user asks for.
	Spec FunctionSpec `json:"spec"`
	// Status is what Wake observed.
	// +optional
	Status FunctionStatus `json:"status,omitempty"`
}

// FunctionSpec is the desired state of a Function.
type FunctionSpec struct {
	// Template is the revision to run. Each change creates a new Revision.
	Template RevisionTemplate `json:"template"`

	// RevisionHistoryLimit is how many old revisions to keep besides the
	// latest created and latest ready ones; revisions a Route references
	// are always kept. Defaults to 10.
	// +optional
	// +kubebuilder:default=10
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=1000
	RevisionHistoryLimit *int32 `json:"revisionHistoryLimit,omitempty"`
}

// RevisionTemplate describes the revisions a Function creates.
type RevisionTemplate struct {
	// Metadata holds labels and annotations copied to each Revision and its
	// pods.
	// +optional
	Metadata TemplateMetadata `json:"metadata,omitempty"`

	// Spec is the revision's specification.
	Spec RevisionSpec `json:"spec"`
}

// LabelValue is the value of a label: empty, or at most 63 alphanumeric
// characters, '-', '_' or '.', starting and ending with an alphanumeric
// character. It is a string: the alias only carries the validation.
// +kubebuilder:validation:MaxLength=63
// +kubebuilder:validation:XValidation:rule="!format.labelValue().validate(self).hasValue()",message="a label value must be empty or at most 63 alphanumeric characters, '-', '_' or '.', starting and ending with an alphanumeric character"
type LabelValue = string

// TemplateMetadata is the part of object metadata a template may set.
// +kubebuilder:object:generate=false
type TemplateMetadata struct {
	// Labels are added to each Revision and its pods. Keys and values must
	// be valid label keys and values.
	// +optional
	// +kubebuilder:validation:MaxProperties=64
	// +kubebuilder:validation:XValidation:rule="self.all(k, !format.qualifiedName().validate(k).hasValue())",messageExpression="'label key \"' + self.filter(k, format.qualifiedName().validate(k).hasValue())[0] + '\" is not a qualified name: an optional DNS subdomain prefix and \"/\", then at most 63 alphanumeric characters, \"-\", \"_\" or \".\", starting and ending with an alphanumeric character'"
	Labels map[string]LabelValue `json:"labels,omitempty"`
	// Annotations are added to each Revision and its pods. Keys must be
	// valid annotation keys.
	// +optional
	// +kubebuilder:validation:MaxProperties=256
	// +kubebuilder:validation:XValidation:rule="self.all(k, !format.qualifiedName().validate(k.lowerAscii()).hasValue())",messageExpression="'annotation key \"' + self.filter(k, format.qualifiedName().validate(k.lowerAscii()).hasValue())[0] + '\" is not a qualified name: an optional DNS subdomain prefix and \"/\", then at most 63 alphanumeric characters, \"-\", \"_\" or \".\", starting and ending with an alphanumeric character'"
	Annotations map[string]string `json:"annotations,omitempty"`
}

// FunctionStatus is the observed state of a Function.
type FunctionStatus struct {
	duckv1.Status `json:",inline"`

	// URL is where the Function serves: http://{name}.{namespace}.{domain}.
	// +optional
	URL *apis.URL `json:"url,omitempty"`

	// LatestCreatedRevisionName is the Revision made from the current
	// template.
	// +optional
	LatestCreatedRevisionName string `json:"latestCreatedRevisionName,omitempty"`

	// LatestReadyRevisionName is the newest Revision that became ready; it
	// receives the Function's traffic.
	// +optional
	LatestReadyRevisionName string `json:"latestReadyRevisionName,omitempty"`

	// Usage is what the Function's revisions used, per UTC day, as metered
	// for billing. The autoscaler's leader writes it, at most once a
	// minute.
	// +optional
	Usage *FunctionUsage `json:"usage,omitempty"`
}

// FunctionList is a list of Functions.
//
// +kubebuilder:object:root=true
type FunctionList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the Functions.
	Items []Function `json:"items"`
}

func init() {
	registerTypes(&Function{}, &FunctionList{})
}
