package v1alpha1

// Labels that Wake puts on the objects it creates.
const (
	// FunctionLabelKey names the Function a Revision, Deployment, Service or
	// pod belongs to.
	FunctionLabelKey = GroupName + "/function"
	// RevisionLabelKey names the Revision a Deployment, Service or pod
	// belongs to.
	RevisionLabelKey = GroupName + "/revision"
)

// GroupName is the API group.
const GroupName = "serving.wake.dev"
