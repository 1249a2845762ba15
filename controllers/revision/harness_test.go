package revision

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
)

// conditionsOf summarises a revision's conditions as "Status" or
// "Status/Reason" by type.
func conditionsOf(rev *servingv1alpha1.Revision) map[string]string {
	out := map[string]string{}
	for _, c := range rev.Status.Conditions {
		v := string(c.Status)
		if c.Reason != "" {
			v += "/" + c.Reason
		}
		out[string(c.Type)] = v
	}
	return out
}

// harness is the Revision reconciler on a fake client.
type harness = reconcilertest.Harness[*Reconciler]

// newHarness returns a harness holding objs, set up by s.
func newHarness(t testing.TB, s reconcilertest.Setup, objs ...client.Object) *harness {
	t.Helper()
	return reconcilertest.New(t, s, newReconciler, objs...)
}

// newReconciler makes the Revision reconciler, for the harness and for
// the envtest manager.
func newReconciler(d reconciler.Deps) *Reconciler {
	return &Reconciler{Deps: d}
}

// cond builds a conditionsOf map: Ready, ResourcesAvailable,
// ContainerHealthy, Active ("" leaves a condition out).
func cond(ready, resources, health, active string) map[string]string {
	m := map[string]string{}
	for k, v := range map[string]string{
		"Ready": ready, "ResourcesAvailable": resources, "ContainerHealthy": health, "Active": active,
	} {
		if v != "" {
			m[k] = v
		}
	}
	return m
}

// reconcileCase is one Reconcile of the test revision: objects in, the
// revision's status, the Deployment's replicas, events and updates out.
type reconcileCase struct {
	name    string
	config  map[string]string
	rev     *servingv1alpha1.Revision
	objs    []client.Object
	funcs   interceptor.Funcs
	wantErr string
	// wantConditions lists every condition of the revision afterwards.
	wantConditions map[string]string
	wantActual     *int32
	// wantReplicas is the Deployment's spec.replicas afterwards.
	wantReplicas *int32
	wantEvents   []string
	// wantUpdates counts Updates by type (status updates excluded).
	wantUpdates map[string]int
	check       func(t *testing.T, c client.Client)
}

// runReconcileCases runs each case on a fresh fake client.
func runReconcileCases(t *testing.T, tests []reconcileCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, reconcilertest.Setup{Config: tt.config, Funcs: tt.funcs}, append([]client.Object{tt.rev.DeepCopy()}, tt.objs...)...)
			err := h.Reconcile(testKey)
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.wantErr)
			}

			got := &servingv1alpha1.Revision{}
			if err := h.Client.Get(context.Background(), testKey, got); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantConditions, conditionsOf(got)); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
			if tt.wantErr == "" && got.Status.ObservedGeneration != got.Generation {
				t.Errorf("observedGeneration = %d, want %d", got.Status.ObservedGeneration, got.Generation)
			}
			if diff := cmp.Diff(tt.wantActual, got.Status.ActualReplicas); diff != "" {
				t.Errorf("actualReplicas (-want +got):\n%s", diff)
			}

			d := &appsv1.Deployment{}
			err = h.Client.Get(context.Background(), testKey, d)
			switch {
			case tt.wantReplicas == nil && err == nil:
				t.Errorf("a Deployment exists with %d replicas, want none", *d.Spec.Replicas)
			case tt.wantReplicas != nil && err != nil:
				t.Errorf("get deployment: %v", err)
			case tt.wantReplicas != nil && *d.Spec.Replicas != *tt.wantReplicas:
				t.Errorf("deployment replicas = %d, want %d", *d.Spec.Replicas, *tt.wantReplicas)
			}

			// Events are compared sorted.
			if diff := cmp.Diff(sorted(tt.wantEvents), sorted(h.Events())); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if tt.wantUpdates != nil {
				if diff := cmp.Diff(tt.wantUpdates, h.Updates); diff != "" {
					t.Errorf("updates (-want +got):\n%s", diff)
				}
			}
			if tt.check != nil {
				tt.check(t, h.Client)
			}
		})
	}
}

// sorted returns a sorted copy of s, nil for nil.
func sorted(s []string) []string {
	if s == nil {
		return nil
	}
	return slices.Sorted(slices.Values(s))
}
