package kube

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	toolscache "k8s.io/client-go/tools/cache"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
)

// sinkCall is one call a deploymentHandler made.
type sinkCall struct {
	forget bool
	key    types.NamespacedName
	state  scaler.DeploymentState
}

type recordingSink struct{ calls []sinkCall }

func (r *recordingSink) ObserveDeployment(k types.NamespacedName, s scaler.DeploymentState) {
	r.calls = append(r.calls, sinkCall{key: k, state: s})
}

func (r *recordingSink) ForgetDeployment(k types.NamespacedName) {
	r.calls = append(r.calls, sinkCall{forget: true, key: k})
}

func testDeployment(owner string, replicas *int32, ready int32) *appsv1.Deployment {
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "fn-00001"},
		Spec:       appsv1.DeploymentSpec{Replicas: replicas},
		Status:     appsv1.DeploymentStatus{ReadyReplicas: ready},
	}
	switch owner {
	case "revision":
		d.OwnerReferences = []metav1.OwnerReference{{APIVersion: servingv1alpha1.GroupVersion.String(), Kind: "Revision", Name: "fn-00001", Controller: ptr.To(true)}}
	case "other-group":
		d.OwnerReferences = []metav1.OwnerReference{{APIVersion: "serving.knative.dev/v1", Kind: "Revision", Name: "fn-00001", Controller: ptr.To(true)}}
	case "not-controller":
		d.OwnerReferences = []metav1.OwnerReference{{APIVersion: servingv1alpha1.GroupVersion.String(), Kind: "Revision", Name: "fn-00001"}}
	}
	return d
}

func TestDeploymentHandler(t *testing.T) {
	key := types.NamespacedName{Namespace: "ns", Name: "fn-00001"}
	observe := func(replicas, ready int32) []sinkCall {
		return []sinkCall{{key: key, state: scaler.DeploymentState{Replicas: replicas, ReadyReplicas: ready}}}
	}
	forget := []sinkCall{{forget: true, key: key}}
	tests := []struct {
		name  string
		event func(deploymentHandler)
		want  []sinkCall
	}{
		{
			name:  "add of a revision's deployment",
			event: func(h deploymentHandler) { h.OnAdd(testDeployment("revision", ptr.To[int32](2), 1), true) },
			want:  observe(2, 1),
		},
		{
			name:  "unset replicas mean 1",
			event: func(h deploymentHandler) { h.OnAdd(testDeployment("revision", nil, 0), false) },
			want:  observe(1, 0),
		},
		{
			name:  "add of a deployment without owner",
			event: func(h deploymentHandler) { h.OnAdd(testDeployment("", ptr.To[int32](2), 1), false) },
		},
		{
			name:  "add of another group's Revision's deployment",
			event: func(h deploymentHandler) { h.OnAdd(testDeployment("other-group", ptr.To[int32](2), 1), false) },
		},
		{
			name:  "add of a deployment a revision owns but does not control",
			event: func(h deploymentHandler) { h.OnAdd(testDeployment("not-controller", ptr.To[int32](2), 1), false) },
		},
		{
			name: "update of readiness",
			event: func(h deploymentHandler) {
				h.OnUpdate(testDeployment("revision", ptr.To[int32](2), 1), testDeployment("revision", ptr.To[int32](2), 2))
			},
			want: observe(2, 2),
		},
		{
			name: "update that changes neither scale nor readiness",
			event: func(h deploymentHandler) {
				old, cur := testDeployment("revision", ptr.To[int32](2), 2), testDeployment("revision", ptr.To[int32](2), 2)
				cur.Status.ObservedGeneration = 7
				h.OnUpdate(old, cur)
			},
		},
		{
			name: "update that takes the deployment from its revision",
			event: func(h deploymentHandler) {
				h.OnUpdate(testDeployment("revision", ptr.To[int32](2), 2), testDeployment("", ptr.To[int32](2), 2))
			},
			want: forget,
		},
		{
			name: "update of an unrelated deployment",
			event: func(h deploymentHandler) {
				h.OnUpdate(testDeployment("", ptr.To[int32](2), 2), testDeployment("", ptr.To[int32](3), 2))
			},
		},
		{
			name:  "delete",
			event: func(h deploymentHandler) { h.OnDelete(testDeployment("revision", ptr.To[int32](2), 2)) },
			want:  forget,
		},
		{
			name: "delete seen late",
			event: func(h deploymentHandler) {
				h.OnDelete(toolscache.DeletedFinalStateUnknown{Key: "ns/fn-00001", Obj: testDeployment("revision", ptr.To[int32](2), 2)})
			},
			want: forget,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sink := &recordingSink{}
			tc.event(deploymentHandler{sink: sink})
			if len(sink.calls) != len(tc.want) {
				t.Fatalf("calls = %+v, want %+v", sink.calls, tc.want)
			}
			for i := range tc.want {
				if sink.calls[i] != tc.want[i] {
					t.Errorf("call %d = %+v, want %+v", i, sink.calls[i], tc.want[i])
				}
			}
		})
	}
}

func TestRevisionHandler(t *testing.T) {
	rev := func(gen int64, deleting bool, desired int32) *servingv1alpha1.Revision {
		r := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "fn-00001", Generation: gen}}
		if deleting {
			r.DeletionTimestamp = ptr.To(metav1.Now())
		}
		r.Status.DesiredReplicas = ptr.To(desired)
		return r
	}
	// reaching is a revision with status.reachability r and
	// status.desiredReplicas desired.
	reaching := func(r servingv1alpha1.Reachability, desired int32) *servingv1alpha1.Revision {
		out := rev(1, false, desired)
		out.Status.Reachability = r
		return out
	}
	update := func(o, n *servingv1alpha1.Revision) func(revisionHandler) {
		return func(h revisionHandler) { h.OnUpdate(o, n) }
	}
	const (
		reachable   = servingv1alpha1.ReachabilityReachable
		pending     = servingv1alpha1.ReachabilityPending
		unreachable = servingv1alpha1.ReachabilityUnreachable
	)
	tests := []struct {
		name  string
		event func(revisionHandler)
		want  int
	}{
		{name: "add", event: func(h revisionHandler) { h.OnAdd(rev(1, false, 0), true) }, want: 1},
		{name: "delete", event: func(h revisionHandler) { h.OnDelete(rev(1, false, 0)) }, want: 1},
		{name: "status update", event: func(h revisionHandler) { h.OnUpdate(rev(1, false, 0), rev(1, false, 3)) }, want: 0},
		{name: "spec update", event: func(h revisionHandler) { h.OnUpdate(rev(1, false, 0), rev(2, false, 0)) }, want: 1},
		{name: "deletion starts", event: func(h revisionHandler) { h.OnUpdate(rev(1, false, 0), rev(1, true, 0)) }, want: 1},
		{name: "becomes unreachable", event: update(reaching(reachable, 1), reaching(unreachable, 1)), want: 1},
		{name: "becomes reachable again", event: update(reaching(unreachable, 0), reaching(reachable, 0)), want: 1},
		{name: "reachability first set", event: update(reaching("", 0), reaching(pending, 0)), want: 1},
		{name: "pending becomes reachable", event: update(reaching(pending, 0), reaching(reachable, 0)), want: 1},
		{name: "status update, reachability unchanged", event: update(reaching(unreachable, 1), reaching(unreachable, 0)), want: 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			tc.event(revisionHandler{changed: func() { n++ }})
			if n != tc.want {
				t.Errorf("changed %d times, want %d", n, tc.want)
			}
		})
	}
}
