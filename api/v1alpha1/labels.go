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

// Annotations that Wake puts on the objects it creates. Each holds a hash
// of what Wake made the object from, so that a change is told from a
// server default.
const (
	// TemplateHashAnnotationKey, on a Revision, holds the hash of the
	// Function template it was made from. The Function reconciler makes a
	// new Revision when the template's hash differs from the latest one's.
	TemplateHashAnnotationKey = GroupName + "/template-hash"
	// SpecHashAnnotationKey, on a Deployment, holds the hash of what Wake
	// last wrote on it. The Revision reconciler updates a Deployment whose
	// hash differs from the desired one's.
	SpecHashAnnotationKey = GroupName + "/spec-hash"

	// LegacyTemplateHashAnnotationKey is where Revisions made before
	// TemplateHashAnnotationKey kept the template hash. It is read, never
	// written, so that an upgrade makes no new Revision for a Function
	// whose template did not change.
	LegacyTemplateHashAnnotationKey = GroupName + "/templateHash"
)

// The marks of a credentials mirror: a Secret in Wake's namespace holding,
// for one Secret an apiKeys policy names, each client ID and the SHA-256
// of its secret. The controller writes mirrors; the activators read only
// them.
const (
	// CredentialsMirrorLabelKey is CredentialsMirrorLabelValue on every
	// mirror.
	CredentialsMirrorLabelKey   = GroupName + "/credentials"
	CredentialsMirrorLabelValue = "mirror"
	// CredentialsNamespaceAnnotationKey and CredentialsNameAnnotationKey
	// name the mirrored Secret.
	CredentialsNamespaceAnnotationKey = GroupName + "/credentials-namespace"
	CredentialsNameAnnotationKey      = GroupName + "/credentials-name"
	// CredentialsClientsDroppedAnnotationKey holds how many of the
	// mirrored Secret's clients are left out of the mirror because it has
	// more than Wake mirrors; absent when none is.
	CredentialsClientsDroppedAnnotationKey = GroupName + "/clients-dropped"
)

// GroupName is the API group.
const GroupName = "serving.wake.dev"
