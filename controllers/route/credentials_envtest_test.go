package route

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// ensureSystemNamespace creates the namespace of the mirrors, once for
// the suite.
func ensureSystemNamespace(t *testing.T) {
	t.Helper()
	err := k8s.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: systemNamespace}})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// TestEnvCredentialsResolved: a Route naming a Secret that does not exist
// is CredentialsResolved=False naming it, with a Warning event, and stays
// Ready; once the Secret is created, the credentials reconciler mirrors it
// and the mirror watch brings the Route to True; once it is deleted, False
// again.
func TestEnvCredentialsResolved(t *testing.T) {
	ensureSystemNamespace(t)
	ns := newNamespace(t)
	createFunction(t, ns, "hello", "hello-00001")
	rt := fixture.Route(ns, "api", fixture.WithHosts("keys."+ns+".example.org"), fixture.WithRule(fixture.ToFunction("hello", 100, "")),
		fixture.WithAPIKeys("clients"))
	if err := k8s.Create(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKeyFromObject(rt)
	missing := `credential Secrets not found: "clients"`
	testutil.Eventually(t, testenv.Timeout, "credentials missing", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionCredentialsResolved, corev1.ConditionFalse,
			servingv1alpha1.ReasonSecretMissing, missing)
	})
	if !getRoute(t, key).Status.IsReady() {
		t.Error("a Route whose credentials are missing must stay Ready")
	}
	testutil.Eventually(t, testenv.Timeout, "warning event", func(ctx context.Context) error {
		return hasEvent(ctx, key, corev1.EventTypeWarning, servingv1alpha1.ReasonSecretMissing)
	})

	src := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clients"}, Data: map[string][]byte{"alice": []byte("a")}}
	if err := k8s.Create(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "credentials resolved", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionCredentialsResolved, corev1.ConditionTrue, "", "")
	})

	if err := k8s.Delete(context.Background(), src); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "credentials missing again", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionCredentialsResolved, corev1.ConditionFalse,
			servingv1alpha1.ReasonSecretMissing, missing)
	})
}

// TestEnvNoAPIKeysNoCredentialsCondition: a Route without apiKeys has no
// CredentialsResolved condition, and loses it when its apiKeys go.
func TestEnvNoAPIKeysNoCredentialsCondition(t *testing.T) {
	ensureSystemNamespace(t)
	ns := newNamespace(t)
	createFunction(t, ns, "hello", "hello-00001")
	rt := createRoute(t, ns, "plain", []string{"plain." + ns + ".example.org"}, fixture.ToFunction("hello", 100, ""))
	key := client.ObjectKeyFromObject(rt)
	noCondition := func(ctx context.Context) error {
		if err := routeCondition(ctx, key, servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionTrue, "", ""); err != nil {
			return err
		}
		got := &servingv1alpha1.Route{}
		if err := k8s.Get(ctx, key, got); err != nil {
			return err
		}
		if c := got.Status.GetCondition(servingv1alpha1.RouteConditionCredentialsResolved); c != nil {
			return fmt.Errorf("CredentialsResolved = %+v, want none", c)
		}
		return nil
	}
	testutil.Eventually(t, testenv.Timeout, "reconciled without the condition", noCondition)

	rt = getRoute(t, key)
	fixture.WithAPIKeys("nope")(rt)
	if err := k8s.Update(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "credentials missing", func(ctx context.Context) error {
		return routeCondition(ctx, key, servingv1alpha1.RouteConditionCredentialsResolved, corev1.ConditionFalse,
			servingv1alpha1.ReasonSecretMissing, `credential Secrets not found: "nope"`)
	})
	rt = getRoute(t, key)
	rt.Spec.Policies = nil
	if err := k8s.Update(context.Background(), rt); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "condition removed with the apiKeys", noCondition)
}
