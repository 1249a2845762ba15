package coldlane

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestAtZero(t *testing.T) {
	pod := func(name string, terminating bool) *corev1.Pod {
		p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: name, Labels: map[string]string{AppLabel: "plain"}}}
		if terminating {
			p.Finalizers = []string{"test/hold"}
			p.DeletionTimestamp = &metav1.Time{Time: time.Unix(1, 0)}
		}
		return p
	}
	scaled := PlainDeployment("ns", "plain", "hi")
	scaled.Spec.Replicas = ptr.To[int32](1)
	tests := []struct {
		name     string
		objs     []client.Object
		left     PodsLeft
		wantErr  bool
		notFound bool
	}{
		{"at zero, no pods", []client.Object{PlainDeployment("ns", "plain", "hi")}, AnyPod, false, false},
		{"replicas wanted", []client.Object{scaled}, AnyPod, true, false},
		{"a live pod", []client.Object{PlainDeployment("ns", "plain", "hi"), pod("a", false)}, LivePods, true, false},
		{"a terminating pod, any counts", []client.Object{PlainDeployment("ns", "plain", "hi"), pod("a", true)}, AnyPod, true, false},
		{"a terminating pod, live ones count", []client.Object{PlainDeployment("ns", "plain", "hi"), pod("a", true)}, LivePods, false, false},
		{"no Deployment: the API error", nil, AnyPod, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithObjects(tt.objs...).Build()
			err := AtZero(c, "ns", "plain", tt.left)(context.Background())
			if (err != nil) != tt.wantErr {
				t.Fatalf("AtZero = %v, want error %v", err, tt.wantErr)
			}
			if nf := apierrors.IsNotFound(err); nf != tt.notFound {
				t.Errorf("NotFound = %v, want %v (%v)", nf, tt.notFound, err)
			}
		})
	}
}
