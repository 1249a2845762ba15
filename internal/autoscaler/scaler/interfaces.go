package scaler

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// Target is one revision to scale.
type Target struct {
	// Revision names the Revision.
	Revision types.NamespacedName
	// Deployment is the name of the revision's Deployment, in the
	// Revision's namespace.
	Deployment string
	// Spec is the revision's scaling settings, cluster defaults applied.
	Spec decider.Spec
	// Unreachable reports that no traffic can reach the revision (its
	// status.reachability is Unreachable): it goes to zero after its grace
	// period whatever its MinScale. False for reachable, pending and
	// unknown.
	Unreachable bool
	// Shown is the decision the Revision's status shows (its desired
	// replicas, panic mode and reason), so that a decision already shown
	// is not written again, as after a restart or a change of leader. The
	// zero value matches no decision.
	Shown decider.Decision
}

// Targets says which revisions exist; package kube implements it from the
// manager's cache. Whoever feeds it calls Scaler.TargetsChanged when the
// answer may have changed.
type Targets interface {
	// ListTargets returns every revision to scale. It is called at start,
	// after TargetsChanged and after a failed listing, off the tick path;
	// it should read from a cache.
	ListTargets(ctx context.Context) ([]Target, error)
}

// StatusRecorder shows decisions on the Revision's status (desired
// replicas, observed concurrency, panic mode, reason). It is called when the
// desired replicas, the panic mode or the reason change, not on every tick;
// metrics carry the live concurrency.
type StatusRecorder interface {
	// RecordDecision records d for the revision.
	RecordDecision(ctx context.Context, rev types.NamespacedName, d decider.Decision) error
}

// Stats is where the scaler reads the observed concurrency; a
// *collector.Collector implements it.
type Stats interface {
	// Concurrency returns a revision's summed concurrency at now.
	Concurrency(rev types.NamespacedName, now time.Time) float64
	// Fresh reports whether any activator has reported recently; without
	// one, samples are not recorded.
	Fresh(now time.Time) bool
	// Forget drops the state of a revision that is no longer tracked.
	Forget(rev types.NamespacedName)
}

// ReplicaSets lets a wake skip the Deployment controller's queue; package
// kube implements it. Behind thousands of other Deployments' changes, that
// controller can take minutes to act on a new scale, while starting the
// pods needs only the Deployment's current ReplicaSet scaled to match.
type ReplicaSets interface {
	// Wake scales the current ReplicaSet of the Deployment namespace/name
	// up to replicas, once the Deployment's own scale says so. It reports
	// whether it wrote: nothing when it cannot tell the current ReplicaSet
	// for sure (none yet, a rollout under way) or that one already has the
	// replicas.
	Wake(ctx context.Context, namespace, name string, replicas int32) (bool, error)
}
