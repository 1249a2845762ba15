package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/event"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/scheme"
)

// kind is a Kind over Routes whose one phase marks HostsClaimed and
// returns err, and whose change hook counts its calls.
type kind struct {
	err     error
	changes int
}

func (k *kind) ReconcileKind(_ context.Context, rt *servingv1alpha1.Route) error {
	rt.Status.MarkHostsClaimed()
	return k.err
}

func (k *kind) RecordChanges(_ context.Context, before, after *servingv1alpha1.Route) {
	if before.Status.GetCondition(servingv1alpha1.RouteConditionHostsClaimed).IsTrue() ||
		!after.Status.GetCondition(servingv1alpha1.RouteConditionHostsClaimed).IsTrue() {
		panic("RecordChanges got the wrong objects")
	}
	k.changes++
}

var key = types.NamespacedName{Namespace: "team-a", Name: "api"}

func TestReconcile(t *testing.T) {
	route := &servingv1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Generation: 3}}
	deleting := route.DeepCopy()
	deleting.DeletionTimestamp = &metav1.Time{Time: metav1.Now().Time}
	deleting.Finalizers = []string{"example.com/hold"}
	terminating := &apierrors.StatusError{ErrStatus: metav1.Status{
		Status: metav1.StatusFailure, Code: 403, Reason: metav1.StatusReasonForbidden,
		Details: &metav1.StatusDetails{Causes: []metav1.StatusCause{{Type: corev1.NamespaceTerminatingCause}}},
	}}
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "routes"}, key.Name, errors.New("modified"))
	statusFails := func(err error) interceptor.Funcs {
		return interceptor.Funcs{SubResourceUpdate: func(context.Context, client.Client, string, client.Object, ...client.SubResourceUpdateOption) error {
			return err
		}}
	}
	tests := []struct {
		name        string
		obj         *servingv1alpha1.Route
		funcs       interceptor.Funcs
		phaseErr    error
		wantErr     string
		wantWritten bool
		wantChanges int
		wantEvents  []string
		wantRequeue time.Duration
	}{{
		name: "missing object: nothing to do",
	}, {
		name: "another read error is returned with the kind and the object",
		obj:  route,
		funcs: interceptor.Funcs{Get: func(context.Context, client.WithWatch, client.ObjectKey, client.Object, ...client.GetOption) error {
			return errors.New("cache not synced")
		}},
		wantErr: "get route team-a/api: cache not synced",
	}, {
		name: "an object being deleted is left alone",
		obj:  deleting,
	}, {
		name:        "a changed status is written, then the change is recorded",
		obj:         route,
		wantWritten: true,
		wantChanges: 1,
	}, {
		name:        "a phase error is returned and recorded once; the status is still written",
		obj:         route,
		phaseErr:    errors.New("boom"),
		wantErr:     "boom",
		wantWritten: true,
		wantChanges: 1,
		wantEvents:  []string{"Warning ReconcileFailed boom"},
	}, {
		name:        "a phase error that only says the namespace is being deleted is dropped",
		obj:         route,
		phaseErr:    fmt.Errorf("create revision: %w", terminating),
		wantWritten: true,
		wantChanges: 1,
	}, {
		name:        "a status conflict is no error, records no change and is tried again",
		obj:         route,
		funcs:       statusFails(conflict),
		wantRequeue: ConflictRetry,
	}, {
		name:     "a failed status write is returned and records no change",
		obj:      route,
		funcs:    statusFails(errors.New("etcd timeout")),
		phaseErr: errors.New("boom"),
		wantErr:  "boom\nupdate status of route team-a/api: etcd timeout",
		// The event says what the phases saw, not the write.
		wantEvents: []string{"Warning ReconcileFailed boom"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme.New()).
				WithStatusSubresource(&servingv1alpha1.Route{}).WithInterceptorFuncs(tt.funcs)
			if tt.obj != nil {
				b = b.WithObjects(tt.obj.DeepCopy())
			}
			c := b.Build()
			rec := events.NewFakeRecorder(10)
			k := &kind{err: tt.phaseErr}

			res, err := Reconcile[servingv1alpha1.Route](context.Background(), c, rec, ctrl.Request{NamespacedName: key}, k)
			if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("Reconcile error = %v, want %q", err, tt.wantErr)
			}
			if res.RequeueAfter != tt.wantRequeue {
				t.Errorf("RequeueAfter = %v, want %v", res.RequeueAfter, tt.wantRequeue)
			}
			if k.changes != tt.wantChanges {
				t.Errorf("RecordChanges called %d times, want %d", k.changes, tt.wantChanges)
			}
			var got []string
			for len(rec.Events) > 0 {
				got = append(got, <-rec.Events)
			}
			if diff := cmp.Diff(tt.wantEvents, got); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			stored := &servingv1alpha1.Route{}
			if err := c.Get(context.Background(), key, stored); err != nil {
				return
			}
			if written := stored.Status.ObservedGeneration == stored.Generation; written != tt.wantWritten {
				t.Errorf("status written = %v, want %v (%+v)", written, tt.wantWritten, stored.Status)
			}
			if tt.wantWritten && !stored.Status.GetCondition(servingv1alpha1.RouteConditionAllTrafficAssigned).IsUnknown() {
				t.Errorf("conditions not initialised: %+v", stored.Status.Conditions)
			}
		})
	}
}

func TestReconcileWritesOnlyChanges(t *testing.T) {
	writes := 0
	c := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithStatusSubresource(&servingv1alpha1.Route{}).
		WithObjects(&servingv1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Generation: 1}}).
		WithInterceptorFuncs(interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			writes++
			return c.SubResource(sub).Update(ctx, obj, opts...)
		}}).Build()
	k := &kind{}
	for range 3 {
		if _, err := Reconcile[servingv1alpha1.Route](context.Background(), c, events.NewFakeRecorder(10), ctrl.Request{NamespacedName: key}, k); err != nil {
			t.Fatal(err)
		}
	}
	if writes != 1 || k.changes != 1 {
		t.Errorf("status written %d times and changes recorded %d times, want once each", writes, k.changes)
	}
}

// resyncKind is a kind that asks to be reconciled again every period.
type resyncKind struct{ kind }

func (*resyncKind) ResyncPeriod() time.Duration { return 7 * time.Second }

func TestReconcileResync(t *testing.T) {
	route := &servingv1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Generation: 1}}
	tests := []struct {
		name     string
		obj      *servingv1alpha1.Route
		kind     Kind[*servingv1alpha1.Route]
		phaseErr error
		want     time.Duration
	}{
		{name: "a resyncing kind is requeued after its period", obj: route, kind: &resyncKind{}, want: 7 * time.Second},
		{name: "a kind that does not resync is not requeued", obj: route, kind: &kind{}},
		{name: "an error is retried with the backoff, not the period", obj: route, kind: &resyncKind{kind{err: errors.New("boom")}}},
		{name: "a missing object is not requeued", kind: &resyncKind{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := fake.NewClientBuilder().WithScheme(scheme.New()).WithStatusSubresource(&servingv1alpha1.Route{})
			if tt.obj != nil {
				b = b.WithObjects(tt.obj.DeepCopy())
			}
			res, _ := Reconcile[servingv1alpha1.Route](context.Background(), b.Build(), events.NewFakeRecorder(10), ctrl.Request{NamespacedName: key}, tt.kind)
			if res.RequeueAfter != tt.want {
				t.Errorf("RequeueAfter = %v, want %v", res.RequeueAfter, tt.want)
			}
		})
	}
}

func TestOwnStatusFilter(t *testing.T) {
	base := &servingv1alpha1.Function{ObjectMeta: metav1.ObjectMeta{
		Namespace: "team-a", Name: "hello", Generation: 1, ResourceVersion: "1",
		Labels: map[string]string{"team": "a"}, Annotations: map[string]string{"note": "x"},
	}}
	changed := func(mut func(*servingv1alpha1.Function)) *servingv1alpha1.Function {
		f := base.DeepCopy()
		f.ResourceVersion = "2"
		mut(f)
		return f
	}
	for _, tc := range []struct {
		name string
		new  *servingv1alpha1.Function
		want bool
	}{
		{"status only", changed(func(f *servingv1alpha1.Function) { f.Status.LatestCreatedRevisionName = "hello-00001" }), false},
		{"spec (generation)", changed(func(f *servingv1alpha1.Function) { f.Generation = 2 }), true},
		{"labels", changed(func(f *servingv1alpha1.Function) { f.Labels["team"] = "b" }), true},
		{"annotations", changed(func(f *servingv1alpha1.Function) { f.Annotations["note"] = "y" }), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := OwnStatusFilter.Update(event.UpdateEvent{ObjectOld: base, ObjectNew: tc.new}); got != tc.want {
				t.Errorf("update passes = %v, want %v", got, tc.want)
			}
		})
	}
	if !OwnStatusFilter.Create(event.CreateEvent{Object: base}) || !OwnStatusFilter.Delete(event.DeleteEvent{Object: base}) {
		t.Error("creations and deletions must pass")
	}
}
