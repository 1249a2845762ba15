package revision

// Event reasons recorded on Revisions. A failure the Ready condition shows
// is recorded with its reason (ImagePullBackOff, ExitCode1, NotOwned, ...),
// and a failed reconcile with reconciler.ReasonReconcileFailed.
const (
	// ReasonRevisionReady: the revision became ready.
	ReasonRevisionReady = "RevisionReady"
	// ReasonCreationFailed: creating a child failed.
	ReasonCreationFailed = "CreationFailed"
	// ReasonUpdated: a child was updated.
	ReasonUpdated = "Updated"
	// ReasonUpdateFailed: updating a child failed.
	ReasonUpdateFailed = "UpdateFailed"
	// ReasonUnreachable: no traffic can reach the revision any more.
	ReasonUnreachable = "Unreachable"
	// ReasonReachableAgain: an unreachable revision can be reached again.
	ReasonReachableAgain = "ReachableAgain"
)
