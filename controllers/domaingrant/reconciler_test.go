package domaingrant

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/fixture"
)

func newReconciler(d reconciler.Deps) *Reconciler { return &Reconciler{Deps: d} }

func TestReconcile(t *testing.T) {
	shop := fixture.DomainGrant("shop", "team-a", "shop.example.org", "*.apps.example.org")
	tests := []struct {
		name          string
		objs          []client.Object
		funcs         interceptor.Funcs
		wantErr       bool
		wantExclusive corev1.ConditionStatus
		wantMessage   string
	}{{
		name:          "alone",
		objs:          []client.Object{shop.DeepCopy()},
		wantExclusive: corev1.ConditionTrue,
	}, {
		name:          "same namespace, other grant: still exclusive",
		objs:          []client.Object{shop.DeepCopy(), fixture.DomainGrant("more", "team-a", "shop.example.org")},
		wantExclusive: corev1.ConditionTrue,
	}, {
		name:          "another namespace is granted an equal and an overlapping domain",
		objs:          []client.Object{shop.DeepCopy(), fixture.DomainGrant("other", "team-b", "SHOP.example.org", "x.apps.example.org", "unrelated.example.org")},
		wantExclusive: corev1.ConditionFalse,
		wantMessage: `"shop.example.org" is also granted to namespace "team-b" ("SHOP.example.org" by DomainGrant other); ` +
			`"*.apps.example.org" is also granted to namespace "team-b" ("x.apps.example.org" by DomainGrant other)`,
	}, {
		name: "listing grants fails",
		objs: []client.Object{shop.DeepCopy()},
		funcs: interceptor.Funcs{List: func(context.Context, client.WithWatch, client.ObjectList, ...client.ListOption) error {
			return errBoom
		}},
		wantErr:       true,
		wantExclusive: corev1.ConditionUnknown,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := reconcilertest.New(t, reconcilertest.Setup{Funcs: tt.funcs}, newReconciler, tt.objs...)
			if err := h.Reconcile(client.ObjectKey{Name: "shop"}); (err != nil) != tt.wantErr {
				t.Fatalf("Reconcile error = %v, want error %v", err, tt.wantErr)
			}
			got := &servingv1alpha1.DomainGrant{}
			if err := h.Client.Get(context.Background(), client.ObjectKey{Name: "shop"}, got); err != nil {
				t.Fatal(err)
			}
			if c := got.Status.GetCondition(apis.ConditionReady); c == nil || !c.IsTrue() {
				t.Errorf("Ready = %+v, want True", c)
			}
			if got.Status.ObservedGeneration != got.Generation {
				t.Errorf("observedGeneration = %d, want %d", got.Status.ObservedGeneration, got.Generation)
			}
			c := got.Status.GetCondition(servingv1alpha1.DomainGrantConditionExclusive)
			status := corev1.ConditionUnknown
			if c != nil {
				status = c.Status
			}
			if status != tt.wantExclusive || c != nil && c.Message != tt.wantMessage {
				t.Errorf("Exclusive = %+v, want %s %q", c, tt.wantExclusive, tt.wantMessage)
			}
			if c != nil && c.Status == corev1.ConditionFalse && c.Reason != servingv1alpha1.ReasonDomainShared {
				t.Errorf("Exclusive reason = %q, want %q", c.Reason, servingv1alpha1.ReasonDomainShared)
			}
		})
	}
}
