package kube

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/testutil"
)

// TestReplicaSetsWake: a wake scales the Deployment's current ReplicaSet,
// and only when it is sure which one that is. The API server is real;
// no Deployment controller runs, so the ReplicaSets are made by hand.
func TestReplicaSetsWake(t *testing.T) {
	c := apiClient(t)
	type rs struct {
		name     string
		image    string // "" for the Deployment's
		replicas int32
		other    bool // controlled by another Deployment
	}
	tests := []struct {
		name   string
		sets   []rs
		paused bool
		want   map[string]int32 // replicas after the wake
		scaled bool
	}{
		{name: "the current one at zero", sets: []rs{{name: "cur"}}, want: map[string]int32{"cur": 2}, scaled: true},
		{name: "old ones at zero are fine", sets: []rs{{name: "cur"}, {name: "old", image: "old"}}, want: map[string]int32{"cur": 2, "old": 0}, scaled: true},
		{name: "another Deployment's is ignored", sets: []rs{{name: "cur"}, {name: "theirs", other: true, replicas: 3}}, want: map[string]int32{"cur": 2, "theirs": 3}, scaled: true},
		{name: "none yet", sets: []rs{{name: "old", image: "old"}}, want: map[string]int32{"old": 0}},
		{name: "a rollout under way", sets: []rs{{name: "cur"}, {name: "old", image: "old", replicas: 1}}, want: map[string]int32{"cur": 0, "old": 1}},
		{name: "already there", sets: []rs{{name: "cur", replicas: 2}}, want: map[string]int32{"cur": 2}},
		{name: "above already", sets: []rs{{name: "cur", replicas: 5}}, want: map[string]int32{"cur": 5}},
		{name: "paused", paused: true, sets: []rs{{name: "cur"}}, want: map[string]int32{"cur": 0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := namespace(t, c)
			d := rsDeployment(ns, "fn", "hello")
			d.Spec.Paused = tc.paused
			other := rsDeployment(ns, "other", "hello")
			for _, o := range []*appsv1.Deployment{d, other} {
				if err := c.Create(t.Context(), o); err != nil {
					t.Fatal(err)
				}
			}
			for _, s := range tc.sets {
				owner := d
				if s.other {
					owner = other
				}
				image := s.image
				if image == "" {
					image = owner.Spec.Template.Spec.Containers[0].Image
				}
				if err := c.Create(t.Context(), testReplicaSet(owner, s.name, image, s.replicas)); err != nil {
					t.Fatal(err)
				}
			}
			// Wake lists from the API server's cache, which has seen a
			// revision's ReplicaSet long before its first wake.
			testutil.Eventually(t, wait, "the API server's cache holds the replica sets", func(ctx context.Context) error {
				list := &appsv1.ReplicaSetList{}
				if err := c.List(ctx, list, client.InNamespace(ns), &client.ListOptions{Raw: &metav1.ListOptions{ResourceVersion: "0"}}); err != nil {
					return err
				}
				if len(list.Items) != len(tc.sets) {
					return fmt.Errorf("%d of %d listed", len(list.Items), len(tc.sets))
				}
				return nil
			})
			r := &ReplicaSets{Deployments: c, Lister: c, Writer: c}
			scaled, err := r.Wake(t.Context(), ns, d.Name, 2)
			if err != nil {
				t.Fatal(err)
			}
			if scaled != tc.scaled {
				t.Errorf("scaled = %v, want %v", scaled, tc.scaled)
			}
			for name, want := range tc.want {
				got := &appsv1.ReplicaSet{}
				if err := c.Get(t.Context(), client.ObjectKey{Namespace: ns, Name: name}, got); err != nil {
					t.Fatal(err)
				}
				if r := ptr.Deref(got.Spec.Replicas, -1); r != want {
					t.Errorf("replica set %s has %d replicas, want %d", name, r, want)
				}
			}
		})
	}
}

// TestReplicaSetsWakeMissingDeployment: a Deployment that is gone is not
// an error; there is nothing to wake.
func TestReplicaSetsWakeMissingDeployment(t *testing.T) {
	c := apiClient(t)
	r := &ReplicaSets{Deployments: c, Lister: c, Writer: c}
	scaled, err := r.Wake(t.Context(), namespace(t, c), "gone", 1)
	if err != nil || scaled {
		t.Fatalf("Wake = %v, %v; want false, nil", scaled, err)
	}
}

func rsDeployment(ns, name, image string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](2),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "fn", Image: image}}},
			},
		},
	}
}

// testReplicaSet is a ReplicaSet as the Deployment controller makes it:
// d's template with image and a pod-template-hash label, controlled by d.
func testReplicaSet(d *appsv1.Deployment, name, image string, replicas int32) *appsv1.ReplicaSet {
	tmpl := *d.Spec.Template.DeepCopy()
	tmpl.Spec.Containers[0].Image = image
	tmpl.Labels[appsv1.DefaultDeploymentUniqueLabelKey] = name
	sel := d.Spec.Selector.DeepCopy()
	sel.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] = name
	return &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: d.Namespace, Name: name, Labels: tmpl.Labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(d, appsv1.SchemeGroupVersion.WithKind("Deployment"))},
		},
		Spec: appsv1.ReplicaSetSpec{Replicas: ptr.To(replicas), Selector: sel, Template: tmpl},
	}
}
