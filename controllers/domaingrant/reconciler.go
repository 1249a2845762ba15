// Package domaingrant reconciles DomainGrants: it reports on each grant
// whether Wake applies it (Ready, for its observedGeneration) and whether
// another namespace is granted one of its domains or an overlapping one
// (Exclusive, informational). The grants themselves take effect in the
// Route reconciler, which reads them; this one creates nothing.
package domaingrant

import (
	"context"
	"fmt"
	"strings"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/hosts"
)

// Reconciler reconciles DomainGrants.
type Reconciler struct {
	reconciler.Deps
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=domaingrants,verbs=get;list;watch
// +kubebuilder:rbac:groups=serving.wake.dev,resources=domaingrants/status,verbs=get;update

// Reconcile runs the shared reconcile (see package reconciler) with the
// DomainGrant's one phase, ReconcileKind.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconciler.Reconcile[servingv1alpha1.DomainGrant](ctx, r.Client, r.Recorder, req, r)
}

// ReconcileKind marks g applied and says whether its domains are its
// namespace's alone. On a read error Exclusive is left as it was.
func (r *Reconciler) ReconcileKind(ctx context.Context, g *servingv1alpha1.DomainGrant) error {
	g.Status.MarkApplied()
	list := &servingv1alpha1.DomainGrantList{}
	if err := r.Client.List(ctx, list); err != nil {
		return fmt.Errorf("list domain grants: %w", err)
	}
	if shared := Shared(g, list.Items); len(shared) > 0 {
		g.Status.MarkShared(strings.Join(shared, "; "))
	} else {
		g.Status.MarkExclusive()
	}
	return nil
}

// Shared lists, for each domain of g that another namespace is granted too
// (equal or overlapping, hosts.Overlap), which grant gives it to which
// namespace. Grants being deleted do not count.
func Shared(g *servingv1alpha1.DomainGrant, all []servingv1alpha1.DomainGrant) []string {
	var out []string
	for _, d := range g.Spec.Domains {
		for i := range all {
			o := &all[i]
			if o.Name == g.Name || o.Spec.Namespace == g.Spec.Namespace || !o.DeletionTimestamp.IsZero() {
				continue
			}
			for _, od := range o.Spec.Domains {
				if hosts.Overlap(string(d), string(od)) {
					out = append(out, fmt.Sprintf("%q is also granted to namespace %q (%q by DomainGrant %s)", d, o.Spec.Namespace, od, o.Name))
				}
			}
		}
	}
	return out
}

// SetupWithManager registers the reconciler. A grant is reconciled again
// when any grant changes, since another namespace's grant can make its
// domains shared or exclusive.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&servingv1alpha1.DomainGrant{}).
		Watches(&servingv1alpha1.DomainGrant{}, handler.EnqueueRequestsFromMapFunc(r.otherGrants)).
		Complete(r)
}

// otherGrants maps a grant to every other grant.
func (r *Reconciler) otherGrants(ctx context.Context, o client.Object) []reconcile.Request {
	list := &servingv1alpha1.DomainGrantList{}
	if err := r.Client.List(ctx, list); err != nil {
		log.FromContext(ctx).Error(err, "list domain grants to enqueue")
		return nil
	}
	var reqs []reconcile.Request
	for i := range list.Items {
		if list.Items[i].Name != o.GetName() {
			reqs = append(reqs, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(&list.Items[i])})
		}
	}
	return reqs
}
