package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

var functionCondSet = apis.NewLivingConditionSet(FunctionConditionLatestRevisionReady)

// GetConditionSet returns the Function's condition set.
func (*Function) GetConditionSet() apis.ConditionSet { return functionCondSet }

// GetStatus returns the Function's conditions and observedGeneration.
func (f *Function) GetStatus() *duckv1.Status { return &f.Status.Status }

// GetGroupVersionKind returns the Function's kind.
func (*Function) GetGroupVersionKind() schema.GroupVersionKind {
	return GroupVersion.WithKind("Function")
}

// InitializeConditions sets every unset condition to Unknown.
func (s *FunctionStatus) InitializeConditions() { functionCondSet.Manage(s).InitializeConditions() }

// IsReady reports whether the Function serves its latest revision.
func (s *FunctionStatus) IsReady() bool { return functionCondSet.Manage(s).IsHappy() }

// MarkLatestRevisionReady records that the latest created revision is ready.
func (s *FunctionStatus) MarkLatestRevisionReady() {
	functionCondSet.Manage(s).MarkTrue(FunctionConditionLatestRevisionReady)
}

// MarkLatestRevisionNotReady records that the latest created revision is
// still becoming ready.
func (s *FunctionStatus) MarkLatestRevisionNotReady(reason, message string) {
	functionCondSet.Manage(s).MarkUnknown(FunctionConditionLatestRevisionReady, reason, "%s", message)
}

// MarkLatestRevisionFailed records that the latest created revision failed.
func (s *FunctionStatus) MarkLatestRevisionFailed(reason, message string) {
	functionCondSet.Manage(s).MarkFalse(FunctionConditionLatestRevisionReady, reason, "%s", message)
}

// MarkRevisionNotOwned records that a Revision with the name the Function
// wants exists but belongs to someone else.
func (s *FunctionStatus) MarkRevisionNotOwned(name string) {
	functionCondSet.Manage(s).MarkFalse(FunctionConditionLatestRevisionReady, ReasonNotOwned,
		"there is an existing Revision %q that we do not own", name)
}
