package kube

import (
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
)

// deploymentSink is the part of the Scaler that Deployment events feed.
type deploymentSink interface {
	ObserveDeployment(types.NamespacedName, scaler.DeploymentState)
	ForgetDeployment(types.NamespacedName)
}

// deploymentHandler hands the replicas and readiness of every Deployment
// that a Revision controls to the scaler as they change, so that a tick
// reads no Deployment. Other Deployments are ignored.
type deploymentHandler struct{ sink deploymentSink }

var _ toolscache.ResourceEventHandler = deploymentHandler{}

// OnAdd observes a Deployment, including those of the initial listing.
func (h deploymentHandler) OnAdd(obj any, _ bool) {
	if d, ok := obj.(*appsv1.Deployment); ok && controlledByRevision(d) {
		h.sink.ObserveDeployment(keyOf(d), stateOf(d))
	}
}

// OnUpdate observes a Deployment whose scale or readiness changed.
func (h deploymentHandler) OnUpdate(oldObj, newObj any) {
	d, ok := newObj.(*appsv1.Deployment)
	if !ok {
		return
	}
	old, _ := oldObj.(*appsv1.Deployment)
	switch {
	case controlledByRevision(d):
		if old == nil || !controlledByRevision(old) || stateOf(old) != stateOf(d) {
			h.sink.ObserveDeployment(keyOf(d), stateOf(d))
		}
	case old != nil && controlledByRevision(old):
		h.sink.ForgetDeployment(keyOf(d))
	}
}

// OnDelete forgets a Deployment.
func (h deploymentHandler) OnDelete(obj any) {
	if tomb, ok := obj.(toolscache.DeletedFinalStateUnknown); ok {
		obj = tomb.Obj
	}
	if d, ok := obj.(*appsv1.Deployment); ok && controlledByRevision(d) {
		h.sink.ForgetDeployment(keyOf(d))
	}
}

// controlledByRevision reports whether d's controller is a Revision.
func controlledByRevision(d *appsv1.Deployment) bool {
	ref := metav1.GetControllerOfNoCopy(d)
	if ref == nil || ref.Kind != "Revision" {
		return false
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	return err == nil && gv.Group == servingv1alpha1.GroupName
}

func keyOf(o metav1.Object) types.NamespacedName {
	return types.NamespacedName{Namespace: o.GetNamespace(), Name: o.GetName()}
}

func stateOf(d *appsv1.Deployment) scaler.DeploymentState {
	// The API server defaults an unset spec.replicas to 1.
	return scaler.DeploymentState{Replicas: ptr.Deref(d.Spec.Replicas, 1), ReadyReplicas: d.Status.ReadyReplicas}
}

// revisionHandler tells the scaler to list the targets again when a
// Revision is added or deleted, or when its spec, its deletion or its
// status.reachability changes. Other status updates, the autoscaler's own
// included, do not count.
type revisionHandler struct{ changed func() }

var _ toolscache.ResourceEventHandler = revisionHandler{}

// OnAdd signals a new Revision.
func (h revisionHandler) OnAdd(any, bool) { h.changed() }

// OnUpdate signals a Revision whose spec, deletion or reachability changed.
func (h revisionHandler) OnUpdate(oldObj, newObj any) {
	o, ok1 := oldObj.(*servingv1alpha1.Revision)
	n, ok2 := newObj.(*servingv1alpha1.Revision)
	if !ok1 || !ok2 || o.Generation != n.Generation || (o.DeletionTimestamp == nil) != (n.DeletionTimestamp == nil) ||
		o.Status.Reachability != n.Status.Reachability {
		h.changed()
	}
}

// OnDelete signals a deleted Revision.
func (h revisionHandler) OnDelete(any) { h.changed() }
