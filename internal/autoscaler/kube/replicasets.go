package kube

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/autoscaler/scaler"
)

// ReplicaSets scales a woken revision's current ReplicaSet right after its
// Deployment (scaler.ReplicaSets), so that the pods start without waiting
// for kube-controller-manager's Deployment controller, whose queue holds
// every other Deployment's changes too. The Deployment stays the source of
// truth: the ReplicaSet gets the replicas the Deployment's scale was just
// given, which is what that controller will ask for when it gets there.
type ReplicaSets struct {
	// Deployments reads the Deployment: the manager's cache.
	Deployments client.Reader
	// Lister lists the Deployment's ReplicaSets from the API server's
	// cache, so that no ReplicaSet is cached here for this rare write.
	Lister client.Reader
	// Writer writes the ReplicaSet's scale subresource.
	Writer client.Client
}

var _ scaler.ReplicaSets = (*ReplicaSets)(nil)

// +kubebuilder:rbac:groups=apps,resources=replicasets,verbs=list
// +kubebuilder:rbac:groups=apps,resources=replicasets/scale,verbs=update

// Wake scales the current ReplicaSet of Deployment namespace/name up to
// replicas. The current one is the only ReplicaSet the Deployment controls
// whose pod template is the Deployment's, and it is used only when every
// other has no replicas (no rollout under way). The write carries the
// listed resourceVersion, so it never undoes a change it did not see.
func (r *ReplicaSets) Wake(ctx context.Context, namespace, name string, replicas int32) (bool, error) {
	d := &appsv1.Deployment{}
	if err := r.Deployments.Get(ctx, types.NamespacedName{Namespace: namespace, Name: name}, d); err != nil {
		return false, client.IgnoreNotFound(err)
	}
	if d.Spec.Paused || d.Spec.Selector == nil {
		return false, nil
	}
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil {
		return false, nil //nolint:nilerr // the Deployment controller cannot use it either
	}
	// Listed from the API server's cache (resourceVersion 0): a quorum read
	// took 625 ms on average while 50 revisions woke beside 1,000 others
	// (bench-scale). The ReplicaSet exists long before a wake, and one
	// listed stale is either not taken (see currentReplicaSet) or makes the
	// write below conflict.
	list := &appsv1.ReplicaSetList{}
	fromCache := &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}}
	if err := r.Lister.List(ctx, list, fromCache, client.InNamespace(namespace), client.MatchingLabelsSelector{Selector: sel}); err != nil {
		return false, fmt.Errorf("list replica sets of deployment %s/%s: %w", namespace, name, err)
	}
	rs := currentReplicaSet(d, list.Items)
	if rs == nil || rs.Spec.Replicas == nil || *rs.Spec.Replicas >= replicas {
		return false, nil
	}
	scale := &autoscalingv1.Scale{
		ObjectMeta: metav1.ObjectMeta{Name: rs.Name, Namespace: namespace, ResourceVersion: rs.ResourceVersion},
		Spec:       autoscalingv1.ScaleSpec{Replicas: replicas},
	}
	target := &appsv1.ReplicaSet{ObjectMeta: metav1.ObjectMeta{Name: rs.Name, Namespace: namespace}}
	err = r.Writer.SubResource("scale").Update(ctx, target, client.WithSubResourceBody(scale))
	switch {
	case apierrors.IsConflict(err), apierrors.IsNotFound(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf("update scale of replica set %s/%s to %d: %w", namespace, rs.Name, replicas, err)
	}
	return true, nil
}

// currentReplicaSet returns the one ReplicaSet of sets that d controls and
// whose template is d's, or nil when there is none, more than one, or
// another that d controls has replicas.
func currentReplicaSet(d *appsv1.Deployment, sets []appsv1.ReplicaSet) *appsv1.ReplicaSet {
	var current *appsv1.ReplicaSet
	for i := range sets {
		rs := &sets[i]
		ref := metav1.GetControllerOfNoCopy(rs)
		if ref == nil || ref.UID != d.UID || rs.DeletionTimestamp != nil {
			continue
		}
		switch {
		case !sameTemplate(&rs.Spec.Template, &d.Spec.Template):
			if rs.Spec.Replicas == nil || *rs.Spec.Replicas != 0 {
				return nil // a rollout under way
			}
		case current != nil:
			return nil
		default:
			current = rs
		}
	}
	return current
}

// sameTemplate compares pod templates as the Deployment controller does:
// all but the pod-template-hash label it adds to its ReplicaSets.
func sameTemplate(a, b *corev1.PodTemplateSpec) bool {
	a, b = a.DeepCopy(), b.DeepCopy()
	delete(a.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	delete(b.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	return equality.Semantic.DeepEqual(a, b)
}
