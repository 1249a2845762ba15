// Package tenantpolicy reconciles TenantPolicies: it shows on each policy
// whether Wake applies it (Ready; False with reason InvalidSelector when its
// namespaceSelector cannot be used), whether an older policy governs some
// of the namespaces it selects (Exclusive, informational), and the
// namespaces it governs, each with its limits in force and its use (pods
// and requests in flight). Which policy governs which namespace is decided
// by internal/tenancy, which the activators and the autoscaler read too; the
// limits take effect there. This reconciler creates nothing.
//
// Use is measured elsewhere and no watch reports it, so each policy is
// reconciled again every ResyncPeriod (UsageRefresh); its status is written
// only when something in it changed.
//
// The files follow controllers/route: reconciler.go (Reconciler,
// ReconcileKind), resolve.go (reading and resolving policies and
// namespaces), status.go (the pure status builders), usage.go (reading the
// use), events.go (RecordChanges), setup.go (watches).
package tenantpolicy

import (
	"context"
	"time"

	ctrl "sigs.k8s.io/controller-runtime"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
)

// UsageRefresh is how often each TenantPolicy is reconciled again to
// refresh the use shown on its status: often enough for an operator
// watching a namespace approach its limits, rarely enough that a status
// write (only when the use changed) costs little. Changes of policies,
// namespaces' labels and wake-config are reconciled at once, not on this
// period.
const UsageRefresh = 10 * time.Second

// Reconciler reconciles TenantPolicies.
type Reconciler struct {
	reconciler.Deps
	// Usage reports the requests in flight per namespace; nil shows 0.
	Usage Usage

	// last is the latest resolution, reused while its inputs are the same.
	last memo
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=tenantpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=tenantpolicies/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=revisions,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the shared reconcile (see package reconciler) with the
// TenantPolicy's phases, ReconcileKind, and its change hook, RecordChanges.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconciler.Reconcile[servingv1alpha1.TenantPolicy](ctx, r.Client, r.Recorder, req, r)
}

// ResyncPeriod is UsageRefresh: see reconciler.Resyncer.
func (r *Reconciler) ResyncPeriod() time.Duration { return UsageRefresh }

// ReconcileKind resolves every policy against every namespace (with
// wake-config's tenant-* defaults) and writes p's part of the answer into
// its status. When the policies or namespaces cannot be read, the status is
// left as it was; when a namespace's use cannot be read, its conditions and
// count are updated and its namespaces left as they were. Either error is
// returned, so the policy is retried.
//
// Each reconcile reads every policy and namespace from the cache, without
// copies, and resolves them again only when they changed (see resolve). It
// reads the Revisions of at most MaxTenantNamespacesInStatus namespaces,
// through the cache's namespace index.
func (r *Reconciler) ReconcileKind(ctx context.Context, p *servingv1alpha1.TenantPolicy) error {
	res, err := r.resolve(ctx)
	if err != nil {
		return err
	}
	if invalid, ok := res.Invalid[p.Name]; ok {
		p.Status.MarkInvalid(servingv1alpha1.ReasonInvalidSelector, invalid.Error())
		p.Status.MarkExclusive() // it selects nothing, so nothing is taken from it
		p.Status.NamespaceCount, p.Status.Namespaces = 0, nil
		return nil
	}
	p.Status.MarkApplied()
	if overlapped := res.Overlapped[p.Name]; len(overlapped) > 0 {
		p.Status.MarkOverlapped(OverlapMessage(overlapped, res.Governing))
	} else {
		p.Status.MarkExclusive()
	}
	governed := res.Governed(p.Name)
	p.Status.NamespaceCount = int32(len(governed))
	listed := governed[:min(len(governed), servingv1alpha1.MaxTenantNamespacesInStatus)]
	statuses, err := r.namespaces(ctx, listed, res)
	if err != nil {
		return err
	}
	p.Status.Namespaces = statuses
	return nil
}
