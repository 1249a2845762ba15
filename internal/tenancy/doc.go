// Package tenancy decides which limits govern each namespace: the
// TenantPolicies that select it by label (the oldest, then the first by
// name, governs a namespace that several select), with wake-config's
// tenant-* defaults for a namespace that none selects and for each limit a
// policy leaves unset. The activators, the autoscaler and the TenantPolicy
// reconciler all read the answer from here, so that they cannot disagree.
package tenancy
