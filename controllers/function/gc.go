package function

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// defaultRevisionHistoryLimit applies when spec.revisionHistoryLimit is unset.
const defaultRevisionHistoryLimit = 10

// collectGarbage deletes fn's oldest revisions beyond revisionHistoryLimit.
// The latest created and latest ready revisions, and any revision a Route in
// the namespace references, are always kept and do not count.
func (r *Reconciler) collectGarbage(ctx context.Context, fn *servingv1alpha1.Function, revs map[int64]*servingv1alpha1.Revision) error {
	limit := defaultRevisionHistoryLimit
	if fn.Spec.RevisionHistoryLimit != nil {
		limit = int(*fn.Spec.RevisionHistoryLimit)
	}
	referenced, err := r.referencedRevisions(ctx, fn.Namespace)
	if err != nil {
		return err
	}
	referenced[fn.Status.LatestCreatedRevisionName] = true
	referenced[fn.Status.LatestReadyRevisionName] = true

	var errs []error
	kept := 0
	keys := slices.Sorted(maps.Keys(revs))
	for i := len(keys) - 1; i >= 0; i-- {
		rev := revs[keys[i]]
		if referenced[rev.Name] {
			continue
		}
		if kept < limit {
			kept++
			continue
		}
		if err := r.Client.Delete(ctx, rev, client.Preconditions{UID: &rev.UID}); client.IgnoreNotFound(err) != nil {
			errs = append(errs, fmt.Errorf("delete revision %s: %w", client.ObjectKeyFromObject(rev), err))
			continue
		}
		log.FromContext(ctx).Info("deleted old revision", "revision", rev.Name)
		r.Recorder.Eventf(fn, rev, corev1.EventTypeNormal, ReasonRevisionDeleted, "Delete",
			"Deleted Revision %q beyond revisionHistoryLimit %d", rev.Name, limit)
	}
	return errors.Join(errs...)
}

// referencedRevisions returns the names of the revisions that Routes in ns
// name in their spec or resolved status.
func (r *Reconciler) referencedRevisions(ctx context.Context, ns string) (map[string]bool, error) {
	routes := &servingv1alpha1.RouteList{}
	if err := r.Client.List(ctx, routes, client.InNamespace(ns)); err != nil {
		return nil, fmt.Errorf("list routes in %s: %w", ns, err)
	}
	refs := map[string]bool{}
	for _, rt := range routes.Items {
		for _, rule := range rt.Spec.Rules {
			for _, t := range rule.Traffic {
				if t.RevisionName != "" {
					refs[t.RevisionName] = true
				}
			}
		}
		for _, rule := range rt.Status.Rules {
			for _, t := range rule.Traffic {
				refs[t.RevisionName] = true
			}
		}
	}
	return refs, nil
}
