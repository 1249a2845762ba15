package reconciler

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/event"
)

func TestChildFilter(t *testing.T) {
	readyChanged := func(old, cur *appsv1.Deployment) bool {
		return old.Status.ReadyReplicas != cur.Status.ReadyReplicas
	}
	base := func() *appsv1.Deployment {
		return &appsv1.Deployment{ObjectMeta: metav1.ObjectMeta{
			Name: "d", Generation: 1, Labels: map[string]string{"a": "1"}, Annotations: map[string]string{"b": "2"},
			OwnerReferences: []metav1.OwnerReference{{Name: "rev", UID: "u1"}},
		}}
	}
	now := metav1.Now()
	tests := []struct {
		name   string
		change func(d *appsv1.Deployment)
		want   bool
	}{
		{name: "a status write the owner does not read", change: func(d *appsv1.Deployment) {
			d.Status.ObservedGeneration, d.Status.UpdatedReplicas = 1, 1
			d.Status.Conditions = []appsv1.DeploymentCondition{{Type: appsv1.DeploymentProgressing, Reason: "NewReplicaSetAvailable"}}
		}, want: false},
		{name: "nothing", change: func(*appsv1.Deployment) {}, want: false},
		{name: "what the owner reads", change: func(d *appsv1.Deployment) { d.Status.ReadyReplicas = 1 }, want: true},
		{name: "generation", change: func(d *appsv1.Deployment) { d.Generation = 2 }, want: true},
		{name: "a label", change: func(d *appsv1.Deployment) { d.Labels["a"] = "2" }, want: true},
		{name: "an annotation removed", change: func(d *appsv1.Deployment) { delete(d.Annotations, "b") }, want: true},
		{name: "owners", change: func(d *appsv1.Deployment) { d.OwnerReferences[0].UID = "u2" }, want: true},
		{name: "deletion", change: func(d *appsv1.Deployment) { d.DeletionTimestamp = &now }, want: true},
	}
	filter := ChildFilter(readyChanged)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old, cur := base(), base()
			tc.change(cur)
			if got := filter.Update(event.UpdateEvent{ObjectOld: old, ObjectNew: cur}); got != tc.want {
				t.Errorf("Update = %v, want %v", got, tc.want)
			}
		})
	}
	if !filter.Create(event.CreateEvent{Object: base()}) || !filter.Delete(event.DeleteEvent{Object: base()}) {
		t.Error("creations and deletions must pass")
	}
	if !filter.Update(event.UpdateEvent{ObjectOld: &appsv1.ReplicaSet{}, ObjectNew: &appsv1.ReplicaSet{}}) {
		t.Error("objects of another type must pass")
	}
}
