package v1alpha1

// Labels and annotations that Wake puts on the objects it creates.
const (
	// FunctionLabelKey names the Function a Revision, Deployment, Service or
	// pod belongs to.
	FunctionLabelKey = GroupName + "/function"
	// RevisionLabelKey names the Revision a Deployment, Service or pod
	// belongs to.
	RevisionLabelKey = GroupName + "/revision"
	// GenerationLabelKey records the Function generation a Revision was
	// created from.
	GenerationLabelKey = GroupName + "/functionGeneration"
	// RouteLabelKey is set on Revisions to the names of Routes that send
	// them traffic (informational).
	RouteLabelKey = GroupName + "/route"
)

// GroupName is the API group.
const GroupName = "serving.wake.dev"
