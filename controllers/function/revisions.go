package function

import (
	"context"
	"fmt"
	"maps"
	"slices"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/function/resources"
)

// reconcileRevisions makes sure a Revision exists for the current template,
// and sets latestCreatedRevisionName, latestReadyRevisionName and the
// LatestRevisionReady condition. It returns fn's revisions by number.
func (r *Reconciler) reconcileRevisions(ctx context.Context, fn *servingv1alpha1.Function) (map[int64]*servingv1alpha1.Revision, error) {
	revs, err := r.listRevisions(ctx, fn)
	if err != nil {
		return nil, err
	}
	hash := resources.TemplateHash(fn)
	latestN := maxKey(revs)
	latest := revs[latestN]
	if latest == nil || resources.RecordedTemplateHash(latest) != hash {
		latestN++
		latest, err = r.createRevision(ctx, fn, latestN)
		if err != nil || latest == nil {
			return revs, err
		}
		revs[latestN] = latest
	}
	fn.Status.LatestCreatedRevisionName = latest.Name
	if n := newestReady(revs, latestN); n > 0 {
		fn.Status.LatestReadyRevisionName = revs[n].Name
	}

	ready := latest.Status.GetCondition(apis.ConditionReady)
	switch {
	case ready.IsTrue():
		fn.Status.MarkLatestRevisionReady()
	case ready.IsFalse():
		fn.Status.MarkLatestRevisionFailed(servingv1alpha1.ReasonRevisionFailed,
			fmt.Sprintf("Revision %q failed: %s: %s", latest.Name, ready.Reason, ready.Message))
	default:
		fn.Status.MarkLatestRevisionNotReady(servingv1alpha1.ReasonDeploying,
			fmt.Sprintf("waiting for Revision %q to become ready", latest.Name))
	}
	return revs, nil
}

// createRevision creates fn's n-th revision. If a revision of that name
// exists already and is ours (a stale cache), it is returned; if it is not
// ours, the Function is marked NotOwned and nil is returned.
func (r *Reconciler) createRevision(ctx context.Context, fn *servingv1alpha1.Function, n int64) (*servingv1alpha1.Revision, error) {
	rev := resources.MakeRevision(fn, n)
	err := r.Client.Create(ctx, rev)
	if ignoreAlreadyExists(err) != nil {
		return nil, fmt.Errorf("create revision %s: %w", client.ObjectKeyFromObject(rev), err)
	}
	if err == nil {
		log.FromContext(ctx).Info("created revision", "revision", rev.Name)
		r.Recorder.Eventf(fn, rev, corev1.EventTypeNormal, ReasonRevisionCreated, "Create", "Created Revision %q", rev.Name)
		return rev, nil
	}
	existing := &servingv1alpha1.Revision{}
	if err := r.Client.Get(ctx, client.ObjectKeyFromObject(rev), existing); err != nil {
		return nil, fmt.Errorf("get revision %s: %w", client.ObjectKeyFromObject(rev), err)
	}
	if !metav1.IsControlledBy(existing, fn) {
		fn.Status.MarkRevisionNotOwned(rev.Name)
		r.Recorder.Eventf(fn, existing, corev1.EventTypeWarning, servingv1alpha1.ReasonNotOwned, "Create",
			"Revision %q exists and is not controlled by this Function", rev.Name)
		return nil, nil
	}
	return existing, nil
}

// newestReady returns the highest revision number up to limit whose
// revision is ready, or 0.
func newestReady(revs map[int64]*servingv1alpha1.Revision, limit int64) int64 {
	keys := slices.Sorted(maps.Keys(revs))
	for i := len(keys) - 1; i >= 0; i-- {
		if keys[i] <= limit && revs[keys[i]].Status.IsReady() {
			return keys[i]
		}
	}
	return 0
}

// maxKey returns the largest key of m, or 0 for an empty map.
func maxKey[V any](m map[int64]V) int64 {
	var n int64
	for k := range m {
		n = max(n, k)
	}
	return n
}
