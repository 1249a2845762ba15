package function

// Event reasons recorded on Functions. A Revision name taken by someone
// else is recorded with servingv1alpha1.ReasonNotOwned, and a failed
// reconcile with reconciler.ReasonReconcileFailed.
const (
	// ReasonRevisionCreated: a Revision was made from the current template.
	ReasonRevisionCreated = "RevisionCreated"
	// ReasonRevisionDeleted: an old Revision beyond revisionHistoryLimit
	// was deleted.
	ReasonRevisionDeleted = "RevisionDeleted"
)
