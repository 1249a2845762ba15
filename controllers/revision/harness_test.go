package revision

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/scheme"
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

// harness is a Reconciler on a fake client.
type harness struct {
	r             *Reconciler
	client        client.Client
	recorder      *events.FakeRecorder
	statusUpdates int
	updates       map[string]int
}

// newHarness returns a Reconciler on a fake client holding objs, with
// wake-config data and funcs intercepting its calls.
func newHarness(t *testing.T, cfg map[string]string, funcs interceptor.Funcs, objs ...client.Object) *harness {
	t.Helper()
	h := &harness{recorder: events.NewFakeRecorder(100), updates: map[string]int{}}
	countUpdate := funcs.Update
	funcs.Update = func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
		h.updates[fmt.Sprintf("%T", obj)]++
		if countUpdate != nil {
			return countUpdate(ctx, c, obj, opts...)
		}
		return c.Update(ctx, obj, opts...)
	}
	countStatus := funcs.SubResourceUpdate
	funcs.SubResourceUpdate = func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
		h.statusUpdates++
		if countStatus != nil {
			return countStatus(ctx, c, sub, obj, opts...)
		}
		return c.SubResource(sub).Update(ctx, obj, opts...)
	}
	h.client = fake.NewClientBuilder().
		WithScheme(scheme.New()).
		WithObjects(objs...).
		WithStatusSubresource(&servingv1alpha1.Revision{}, &appsv1.Deployment{}).
		WithInterceptorFuncs(funcs).
		Build()
	store := config.NewStore()
	if err := store.Update(cfg); err != nil {
		t.Fatal(err)
	}
	h.r = &Reconciler{Client: h.client, Recorder: h.recorder, Config: store}
	return h
}

// reconcile runs one reconcile of the test revision.
func (h *harness) reconcile() error {
	_, err := h.r.Reconcile(context.Background(), ctrl.Request{NamespacedName: testKey})
	return err
}

// events drains the recorded events.
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			sort.Strings(out)
			return out
		}
	}
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
			h := newHarness(t, tt.config, tt.funcs, append([]client.Object{tt.rev.DeepCopy()}, tt.objs...)...)
			err := h.reconcile()
			if tt.wantErr == "" && err != nil {
				t.Fatalf("Reconcile: %v", err)
			}
			if tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.wantErr)
			}

			got := &servingv1alpha1.Revision{}
			if err := h.client.Get(context.Background(), testKey, got); err != nil {
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
			err = h.client.Get(context.Background(), testKey, d)
			switch {
			case tt.wantReplicas == nil && err == nil:
				t.Errorf("a Deployment exists with %d replicas, want none", *d.Spec.Replicas)
			case tt.wantReplicas != nil && err != nil:
				t.Errorf("get deployment: %v", err)
			case tt.wantReplicas != nil && *d.Spec.Replicas != *tt.wantReplicas:
				t.Errorf("deployment replicas = %d, want %d", *d.Spec.Replicas, *tt.wantReplicas)
			}

			// events() sorts what was recorded; compare in the same order.
			if diff := cmp.Diff(sorted(tt.wantEvents), h.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if tt.wantUpdates != nil {
				if diff := cmp.Diff(tt.wantUpdates, h.updates); diff != "" {
					t.Errorf("updates (-want +got):\n%s", diff)
				}
			}
			if tt.check != nil {
				tt.check(t, h.client)
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
