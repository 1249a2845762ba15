// Package reconcilertest is the harness every Wake reconciler's table
// tests run on, after the idea of Knative's TableTest: objects in, a
// reconcile, then the stored objects, the events recorded and the writes
// made out. It holds a controller-runtime fake client, with interceptors
// for injected failures, a fake event recorder and a wake-config store.
//
// Only tests import it. What belongs here: the fake-client scaffolding the
// kinds share. Objects to put in it come from internal/fixture; assertions
// about one kind stay in that kind's tests.
package reconcilertest

import (
	"context"
	"fmt"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/scheme"
)

// Setup is what a harness starts with besides its objects.
type Setup struct {
	// Config is wake-config's data; nil is the defaults.
	Config map[string]string
	// Funcs intercept the client's calls, to inject failures. Updates and
	// status updates are counted before they reach Funcs.
	Funcs interceptor.Funcs
	// Indexes are the field indexes the reconciler registers, which the
	// fake client needs to answer lists that use them.
	Indexes []Index
}

// Index is one field index.
type Index struct {
	// Object is the indexed type.
	Object client.Object
	// Field names the index.
	Field string
	// Extract computes an object's values.
	Extract client.IndexerFunc
}

// NewReconciler makes the reconciler under test from the harness's
// client, recorder and wake-config store.
type NewReconciler[R reconcile.Reconciler] func(reconciler.Deps) R

// Harness is a reconciler on a fake client.
type Harness[R reconcile.Reconciler] struct {
	// R is the reconciler under test.
	R R
	// Client is the fake client, holding the objects.
	Client client.Client
	// Recorder holds the events recorded (see Events).
	Recorder *events.FakeRecorder
	// StatusUpdates counts the status writes, failed ones included.
	StatusUpdates int
	// Updates counts the Updates by Go type ("*v1.Deployment"), failed
	// ones included; status writes are not counted here.
	Updates map[string]int
}

// New returns a harness holding objs, set up by s, whose reconciler
// newR makes. The status subresource of every Wake kind and of
// Deployments is enabled, as on an API server.
func New[R reconcile.Reconciler](t testing.TB, s Setup, newR NewReconciler[R], objs ...client.Object) *Harness[R] {
	t.Helper()
	h := &Harness[R]{Recorder: events.NewFakeRecorder(100), Updates: map[string]int{}}
	funcs := s.Funcs
	update := funcs.Update
	funcs.Update = func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
		h.Updates[fmt.Sprintf("%T", obj)]++
		if update != nil {
			return update(ctx, c, obj, opts...)
		}
		return c.Update(ctx, obj, opts...)
	}
	statusUpdate := funcs.SubResourceUpdate
	funcs.SubResourceUpdate = func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
		h.StatusUpdates++
		if statusUpdate != nil {
			return statusUpdate(ctx, c, sub, obj, opts...)
		}
		return c.SubResource(sub).Update(ctx, obj, opts...)
	}
	b := fake.NewClientBuilder().
		WithScheme(scheme.New()).
		WithObjects(objs...).
		WithStatusSubresource(&servingv1alpha1.Function{}, &servingv1alpha1.Revision{}, &servingv1alpha1.Route{}, &servingv1alpha1.DomainGrant{}, &servingv1alpha1.TenantPolicy{}, &appsv1.Deployment{}).
		WithInterceptorFuncs(funcs)
	for _, ix := range s.Indexes {
		b = b.WithIndex(ix.Object, ix.Field, ix.Extract)
	}
	h.Client = b.Build()
	store := config.NewStore()
	if err := store.Update(s.Config); err != nil {
		t.Fatalf("wake-config: %v", err)
	}
	h.R = newR(reconciler.Deps{Client: h.Client, Recorder: h.Recorder, Config: store})
	return h
}

// Reconcile runs one reconcile of the object key names.
func (h *Harness[R]) Reconcile(key client.ObjectKey) error {
	_, err := h.R.Reconcile(context.Background(), ctrl.Request{NamespacedName: key})
	return err
}

// Events drains the events recorded so far, in the order recorded.
func (h *Harness[R]) Events() []string {
	var out []string
	for {
		select {
		case e := <-h.Recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}
