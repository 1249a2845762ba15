package route

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// reconcileTraffic resolves rt's traffic targets into status.rules and
// AllTrafficAssigned (see resolve.Traffic). On a read error the
// status is left untouched.
func (r *Reconciler) reconcileTraffic(ctx context.Context, rt *servingv1alpha1.Route) error {
	targets := resolve.Targets{
		Functions: map[string]*servingv1alpha1.Function{},
		Revisions: map[string]*servingv1alpha1.Revision{},
	}
	for _, name := range resolve.FunctionNames(rt) {
		fn := &servingv1alpha1.Function{}
		found, err := r.get(ctx, types.NamespacedName{Namespace: rt.Namespace, Name: name}, fn)
		if err != nil {
			return fmt.Errorf("get function %s/%s: %w", rt.Namespace, name, err)
		}
		if found {
			targets.Functions[name] = fn
		}
	}
	for _, name := range resolve.RevisionNames(rt) {
		rev := &servingv1alpha1.Revision{}
		found, err := r.get(ctx, types.NamespacedName{Namespace: rt.Namespace, Name: name}, rev)
		if err != nil {
			return fmt.Errorf("get revision %s/%s: %w", rt.Namespace, name, err)
		}
		if found {
			targets.Revisions[name] = rev
		}
	}
	res := resolve.Traffic(rt, targets)
	rt.Status.Rules = res.Rules
	res.MarkOn(&rt.Status)
	return nil
}

// get reads an object, reporting NotFound as found == false.
func (r *Reconciler) get(ctx context.Context, key types.NamespacedName, obj client.Object) (bool, error) {
	err := r.Client.Get(ctx, key, obj)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}
