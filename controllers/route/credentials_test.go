package route

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/controllers/route/resolve"
	"github.com/wakefn/wake/internal/fixture"
)

// secret is a credential Secret in ns.
func secret(ns, name string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{"alice": []byte("a")}}
}

// mirror is the mirror of Secret ns/name, as the credentials reconciler
// writes it, with annotations added.
func mirror(ns, name string, annotations ...string) *corev1.Secret {
	m := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{
		Namespace: systemNamespace, Name: resolve.MirrorName(ns, name),
		Labels: map[string]string{servingv1alpha1.CredentialsMirrorLabelKey: servingv1alpha1.CredentialsMirrorLabelValue},
		Annotations: map[string]string{
			servingv1alpha1.CredentialsNamespaceAnnotationKey: ns, servingv1alpha1.CredentialsNameAnnotationKey: name,
		},
	}}
	for i := 0; i+1 < len(annotations); i += 2 {
		m.Annotations[annotations[i]] = annotations[i+1]
	}
	return m
}

// keyedRoute is Route team-a/api, sending all to function hello, whose
// apiKeys policy names secrets.
func keyedRoute(secrets ...string) *servingv1alpha1.Route {
	rt := newRoute("team-a", "api", 0, fixture.ToFunction("hello", 100, ""), "api.example.org")
	if len(secrets) > 0 {
		fixture.WithAPIKeys(secrets...)(rt)
	}
	return rt
}

func TestReconcileCredentials(t *testing.T) {
	hello := readyFunction("hello", "hello-00002")
	full := []client.Object{hello, keyedRoute("late"), secret("team-a", "late")}
	for i := range resolve.MaxSecretsPerNamespace {
		full = append(full, mirror("team-a", fmt.Sprintf("s%02d", i)))
	}
	stale := keyedRoute()
	stale.Status.MarkCredentialsNotResolved(servingv1alpha1.ReasonSecretMissing, "old")
	failMirrorGet := interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
		if _, ok := obj.(*corev1.Secret); ok {
			return errBoom
		}
		return c.Get(ctx, key, obj, opts...)
	}}
	tests := []struct {
		name       string
		objs       []client.Object
		funcs      interceptor.Funcs
		want       *cond // nil: no condition
		wantErr    string
		wantEvents []string // besides HostsClaimed and TrafficUpdated
	}{{
		name: "no apiKeys",
		objs: []client.Object{hello, keyedRoute()},
	}, {
		name: "a stale condition goes with the apiKeys",
		objs: []client.Object{hello, stale},
	}, {
		name: "mirrored",
		objs: []client.Object{hello, keyedRoute("clients"), secret("team-a", "clients"), mirror("team-a", "clients")},
		want: &ok,
	}, {
		name: "secret missing",
		objs: []client.Object{hello, keyedRoute("clients", "nope"), secret("team-a", "clients"), mirror("team-a", "clients"),
			secret("team-b", "nope"), mirror("team-b", "nope")},
		want:       &cond{corev1.ConditionFalse, servingv1alpha1.ReasonSecretMissing, `credential Secrets not found: "nope"`},
		wantEvents: []string{`Warning SecretMissing credential Secrets not found: "nope"`},
	}, {
		name: "secret not mirrored yet",
		objs: []client.Object{hello, keyedRoute("clients"), secret("team-a", "clients")},
		want: &cond{corev1.ConditionUnknown, servingv1alpha1.ReasonSecretNotMirrored, `credential Secrets not mirrored yet: "clients"`},
	}, {
		name: "namespace at the cap",
		objs: full,
		want: &cond{corev1.ConditionFalse, servingv1alpha1.ReasonSecretNotMirrored,
			`credential Secrets not mirrored, the namespace has 16 mirrored already, the most allowed: "late"`},
		wantEvents: []string{`Warning SecretNotMirrored credential Secrets not mirrored, the namespace has 16 mirrored already, the most allowed: "late"`},
	}, {
		name: "clients left out",
		objs: []client.Object{hello, keyedRoute("clients"), secret("team-a", "clients"),
			mirror("team-a", "clients", servingv1alpha1.CredentialsClientsDroppedAnnotationKey, "3")},
		want: &cond{corev1.ConditionFalse, servingv1alpha1.ReasonTooManyClients,
			`credential Secrets with more than 1000 clients, the clients whose IDs sort last are refused: "clients" (3 left out)`},
		wantEvents: []string{`Warning TooManyClients credential Secrets with more than 1000 clients, the clients whose IDs sort last are refused: "clients" (3 left out)`},
	}, {
		name:       "mirror read fails",
		objs:       []client.Object{hello, keyedRoute("clients")},
		funcs:      failMirrorGet,
		wantErr:    "get credentials mirror of secret team-a/clients: boom",
		wantEvents: []string{"Warning ReconcileFailed get credentials mirror of secret team-a/clients: boom"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, reconcilertest.Setup{Funcs: tt.funcs}, tt.objs...)
			for range 2 { // the second reconcile records nothing new
				err := h.Reconcile(apiKey)
				if tt.wantErr == "" && err != nil || tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)) {
					t.Fatalf("Reconcile error = %v, want %q", err, tt.wantErr)
				}
			}
			var events []string
			for _, e := range h.Events() {
				if !strings.HasPrefix(e, "Normal ") {
					events = append(events, e)
				}
			}
			want := tt.wantEvents
			if tt.wantErr != "" {
				want = append(want, want...) // each failed reconcile records its error
			}
			if diff := cmp.Diff(want, events); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			got := &servingv1alpha1.Route{}
			if err := h.Client.Get(context.Background(), apiKey, got); err != nil {
				t.Fatal(err)
			}
			c := got.Status.GetCondition(servingv1alpha1.RouteConditionCredentialsResolved)
			switch {
			case tt.want == nil && c != nil:
				t.Errorf("CredentialsResolved = %+v, want none", c)
			case tt.want != nil && (c == nil || (cond{c.Status, c.Reason, c.Message}) != *tt.want):
				t.Errorf("CredentialsResolved = %+v, want %+v", c, *tt.want)
			}
			if tt.wantErr == "" && !got.Status.IsReady() {
				t.Errorf("Route not ready: %+v", got.Status.Conditions)
			}
		})
	}
}

func TestRoutesForMirror(t *testing.T) {
	r := newHarness(t, reconcilertest.Setup{},
		fixture.Route("team-a", "one", fixture.WithAPIKeys("clients")),
		fixture.Route("team-a", "two", fixture.WithAPIKeys("other", "clients")),
		fixture.Route("team-a", "other", fixture.WithAPIKeys("other")),
		fixture.Route("team-a", "none"),
		fixture.Route("team-b", "same-name", fixture.WithAPIKeys("clients")),
	).R
	ctx := context.Background()
	if diff := cmp.Diff([]string{"team-a/one", "team-a/two"}, names(r.routesForMirror(ctx, mirror("team-a", "clients")))); diff != "" {
		t.Errorf("routesForMirror (-want +got):\n%s", diff)
	}
	elsewhere := mirror("team-a", "clients")
	elsewhere.Namespace = "team-a"
	unlabelled := mirror("team-a", "clients")
	unlabelled.Labels = nil
	unannotated := mirror("team-a", "clients")
	unannotated.Annotations = nil
	for name, o := range map[string]*corev1.Secret{"outside the system namespace": elsewhere, "unlabelled": unlabelled, "unannotated": unannotated} {
		if got := r.routesForMirror(ctx, o); len(got) != 0 {
			t.Errorf("routesForMirror of a Secret %s = %v, want none", name, got)
		}
	}
}
