package v1alpha1

import "knative.dev/pkg/apis"

// Condition types of Functions, Revisions and Routes. Each kind's Ready
// condition is apis.ConditionReady.
const (
	// FunctionConditionLatestRevisionReady is True when the Revision made
	// from the current template is ready.
	FunctionConditionLatestRevisionReady apis.ConditionType = "LatestRevisionReady"

	// RevisionConditionResourcesAvailable is True when the Deployment and
	// Service exist and the Deployment has the pods it needs (or is scaled
	// to zero on purpose).
	RevisionConditionResourcesAvailable apis.ConditionType = "ResourcesAvailable"
	// RevisionConditionContainerHealthy is False when the container cannot
	// start or keeps crashing.
	RevisionConditionContainerHealthy apis.ConditionType = "ContainerHealthy"
	// RevisionConditionActive is True while the revision has pods; False
	// when it is scaled to zero. Informational: it does not affect Ready.
	RevisionConditionActive apis.ConditionType = "Active"
	// RevisionConditionPodsCreated is False, with severity Warning, while
	// the revision serves but its Deployment cannot create all the pods the
	// autoscaler asks for, for instance because a pod ResourceQuota is
	// full; reason and message are the Deployment's (FailedCreate and the
	// API server's refusal), or because the autoscaler denies it pods for
	// its namespace's tenant limits (TenantQuotaExceeded; then also while a
	// revision that has served waits at zero for its pod). It is absent
	// otherwise. Informational: the revision keeps serving on the pods it
	// has, so Ready is not affected.
	RevisionConditionPodsCreated apis.ConditionType = "PodsCreated"

	// RouteConditionAllTrafficAssigned is True when every traffic target
	// resolves to a ready Revision.
	RouteConditionAllTrafficAssigned apis.ConditionType = "AllTrafficAssigned"
	// RouteConditionHostsClaimed is True when the Route holds every host it
	// asks for: no older Route holds one, none is another namespace's, and
	// under the domain policy "claims" a DomainGrant covers each one outside
	// the namespace's own.
	RouteConditionHostsClaimed apis.ConditionType = "HostsClaimed"
	// RouteConditionCredentialsResolved is True when every Secret the
	// Route's apiKeys policies name (route-wide and per rule) is mirrored
	// for the activators with all its clients. It is False, with severity
	// Warning, when one of them does not exist (SecretMissing), is not
	// mirrored because its namespace has as many mirrored Secrets as Wake
	// allows (SecretNotMirrored), or has more clients than Wake mirrors
	// (TooManyClients): requests with a credential that is not mirrored are
	// refused (401). It is Unknown while a Secret waits to be mirrored, and
	// absent when the Route names no credential Secret. Informational:
	// traffic is routed either way, so Ready is not affected.
	RouteConditionCredentialsResolved apis.ConditionType = "CredentialsResolved"

	// DomainGrantConditionExclusive is True when no other grant gives one
	// of the DomainGrant's domains, or an overlapping one, to another
	// namespace. Informational: it does not affect Ready.
	DomainGrantConditionExclusive apis.ConditionType = "Exclusive"

	// TenantPolicyConditionExclusive is True when no older TenantPolicy
	// selects any of the namespaces the policy selects, so it governs them
	// all. Informational: it does not affect Ready.
	TenantPolicyConditionExclusive apis.ConditionType = "Exclusive"
)

// Reasons used in conditions.
const (
	// ReasonNotOwned means an object Wake would create exists but is not
	// controlled by the Wake object; Wake leaves it alone.
	ReasonNotOwned = "NotOwned"
	// ReasonDeploying means pods are starting.
	ReasonDeploying = "Deploying"
	// ReasonScaledToZero means the revision has no pods because it is idle.
	ReasonScaledToZero = "ScaledToZero"
	// ReasonInitialScaleNotReached means a new revision was scaled to zero
	// before any of its pods became ready, so it never showed it can serve.
	ReasonInitialScaleNotReached = "InitialScaleNotReached"
	// ReasonRevisionMissing means a traffic target names a revision or
	// function that does not exist.
	ReasonRevisionMissing = "RevisionMissing"
	// ReasonRevisionNotReady means a traffic target's revision is not ready.
	ReasonRevisionNotReady = "RevisionNotReady"
	// ReasonHostTaken means another Route, or another namespace's Function,
	// holds a requested host.
	ReasonHostTaken = "HostTaken"
	// ReasonHostNotGranted means the domain policy is "claims" and no
	// DomainGrant gives the Route's namespace a requested host (or a
	// wildcard covering it).
	ReasonHostNotGranted = "HostNotGranted"
	// ReasonSecretMissing means a Secret a Route's apiKeys policy names
	// does not exist in the Route's namespace.
	ReasonSecretMissing = "SecretMissing"
	// ReasonSecretNotMirrored means a Secret a Route's apiKeys policy names
	// exists but has no mirror: not yet (CredentialsResolved Unknown), or
	// not while its namespace has as many mirrored Secrets as Wake allows
	// (False).
	ReasonSecretNotMirrored = "SecretNotMirrored"
	// ReasonTooManyClients means a Secret a Route's apiKeys policy names has
	// more clients than Wake mirrors; those whose IDs sort last are left
	// out.
	ReasonTooManyClients = "TooManyClients"
	// ReasonDomainShared means another namespace is granted one of a
	// DomainGrant's domains, or an overlapping one.
	ReasonDomainShared = "DomainShared"
	// ReasonGovernedByOlderPolicy means an older TenantPolicy governs some
	// of the namespaces a TenantPolicy selects.
	ReasonGovernedByOlderPolicy = "GovernedByOlderPolicy"
	// ReasonInvalidSelector means a TenantPolicy's spec.namespaceSelector
	// cannot be used (an operator or value Kubernetes' label selectors do
	// not accept); the policy selects no namespace until it is fixed.
	ReasonInvalidSelector = "InvalidSelector"
	// ReasonTenantQuotaExceeded means the autoscaler gave a revision fewer
	// pods than it wants because its namespace is at its TenantPolicy's
	// maxPods or maxScaleUpPerMinute: PodsCreated=False on a revision that
	// has served, ResourcesAvailable=False on one denied its first pod.
	ReasonTenantQuotaExceeded = "TenantQuotaExceeded"
	// ReasonRevisionFailed means the latest created revision failed.
	ReasonRevisionFailed = "RevisionFailed"
	// ReasonDeploymentRefused means the API server refused to create or
	// update the revision's Deployment (invalid, or forbidden by an
	// admission policy); the message is the API server's. Wake tries again
	// with a backoff.
	ReasonDeploymentRefused = "DeploymentRefused"
	// ReasonServiceRefused means the API server refused to create or update
	// the revision's Service; the message is the API server's. Wake tries
	// again with a backoff.
	ReasonServiceRefused = "ServiceRefused"
	// ReasonQuotaExceeded means a ResourceQuota of the namespace refused the
	// revision's Deployment or Service; the message is the API server's.
	// Wake tries again when a ResourceQuota of the namespace changes, and
	// with a backoff.
	ReasonQuotaExceeded = "QuotaExceeded"
)
