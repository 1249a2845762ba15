package kube

import (
	"context"
	"errors"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
	"github.com/wakefn/wake/internal/config"
)

func TestListTargets(t *testing.T) {
	revision := func(ns, name string, cc int32, deleting bool) *servingv1alpha1.Revision {
		r := &servingv1alpha1.Revision{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       servingv1alpha1.RevisionSpec{ContainerConcurrency: cc},
		}
		if deleting {
			r.DeletionTimestamp = ptr.To(metav1.Now())
			r.Finalizers = []string{"example.com/hold"}
		}
		return r
	}
	store := config.NewStore()
	if err := store.Update(map[string]string{config.KeyMinScale: "1"}); err != nil {
		t.Fatal(err)
	}
	cfg := store.Load().Autoscaler
	// atZero is what a status that shows no decision reads as.
	atZero := decider.Decision{Reason: decider.ReasonScaledToZero}
	a, b := revision("team-a", "api-00001", 10, false), revision("team-b", "web-00002", 0, false)
	// reaching returns a revision with status.reachability r and the
	// target wanted for it.
	reaching := func(name string, r servingv1alpha1.Reachability, unreachable bool) (*servingv1alpha1.Revision, scaler.Target) {
		rev := revision("team-c", name, 0, false)
		rev.Status.Reachability = r
		return rev, scaler.Target{
			Revision:    types.NamespacedName{Namespace: "team-c", Name: name},
			Deployment:  name,
			Spec:        DeciderSpec(rev, cfg),
			Unreachable: unreachable,
			Shown:       atZero,
		}
	}
	reachable, reachableT := reaching("fn-00001", servingv1alpha1.ReachabilityReachable, false)
	pending, pendingT := reaching("fn-00002", servingv1alpha1.ReachabilityPending, false)
	unknown, unknownT := reaching("fn-00003", "", false)
	unreachable, unreachableT := reaching("fn-00004", servingv1alpha1.ReachabilityUnreachable, true)
	decided := revision("team-a", "api-00003", 0, false)
	decided.Status.DesiredReplicas = ptr.To[int32](3)
	decided.Status.Autoscaler = &servingv1alpha1.AutoscalerStatus{PanicMode: true, Reason: string(decider.ReasonPanic)}
	tests := []struct {
		name    string
		objs    []client.Object
		listErr error
		want    []scaler.Target
		wantErr bool
	}{
		{name: "none"},
		{
			name: "every revision, cluster defaults applied",
			objs: []client.Object{a, b},
			want: []scaler.Target{
				{Revision: types.NamespacedName{Namespace: "team-a", Name: "api-00001"}, Deployment: "api-00001", Spec: DeciderSpec(a, cfg), Shown: atZero},
				{Revision: types.NamespacedName{Namespace: "team-b", Name: "web-00002"}, Deployment: "web-00002", Spec: DeciderSpec(b, cfg), Shown: atZero},
			},
		},
		{
			name: "a revision being deleted is left out",
			objs: []client.Object{a, revision("team-a", "api-00002", 0, true)},
			want: []scaler.Target{
				{Revision: types.NamespacedName{Namespace: "team-a", Name: "api-00001"}, Deployment: "api-00001", Spec: DeciderSpec(a, cfg), Shown: atZero},
			},
		},
		{
			name: "only Unreachable is unreachable: Reachable, Pending and unset are not",
			objs: []client.Object{reachable, pending, unknown, unreachable},
			want: []scaler.Target{reachableT, pendingT, unknownT, unreachableT},
		},
		{
			name: "the decision the status shows",
			objs: []client.Object{decided},
			want: []scaler.Target{{
				Revision: types.NamespacedName{Namespace: "team-a", Name: "api-00003"}, Deployment: "api-00003", Spec: DeciderSpec(decided, cfg),
				Shown: decider.Decision{DesiredReplicas: 3, Panic: true, Reason: decider.ReasonPanic},
			}},
		},
		{name: "a list error", listErr: errors.New("cache not started"), wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(env.Scheme).WithObjects(tc.objs...).WithInterceptorFuncs(interceptor.Funcs{
				List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
					if tc.listErr != nil {
						return tc.listErr
					}
					return c.List(ctx, list, opts...)
				},
			}).Build()
			got, err := (&Targets{Reader: c, Config: store}).ListTargets(t.Context())
			if (err != nil) != tc.wantErr {
				t.Fatalf("ListTargets() error = %v, wantErr %v", err, tc.wantErr)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("ListTargets() = %+v, want %+v", got, tc.want)
			}
			for i := range tc.want {
				if got[i] != tc.want[i] {
					t.Errorf("target %d = %+v, want %+v", i, got[i], tc.want[i])
				}
			}
			if len(got) > 0 && got[0].Spec.MinScale != 1 {
				t.Errorf("minScale = %d, want the cluster's 1", got[0].Spec.MinScale)
			}
		})
	}
}
