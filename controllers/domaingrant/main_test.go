package domaingrant

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

var (
	// k8s talks to the envtest API server directly, without a cache.
	k8s     client.Client
	errBoom = errors.New("boom")
)

// TestMain starts an API server and a manager running only the DomainGrant
// reconciler, then the tests; the table tests ignore both.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunSuite(m, testenv.Suite{
		Setup: func(mgr ctrl.Manager) error {
			return newReconciler(reconciler.NewDeps(mgr, config.NewStore())).SetupWithManager(mgr)
		},
		Ready: func(_ *testenv.Env, c client.Client) { k8s = c },
	}))
}

// exclusive returns nil once grant name is Ready for its generation and
// its Exclusive condition has status want.
func exclusive(ctx context.Context, name string, want corev1.ConditionStatus) error {
	g := &servingv1alpha1.DomainGrant{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: name}, g); err != nil {
		return err
	}
	if g.Status.ObservedGeneration != g.Generation || !g.Status.GetCondition(apis.ConditionReady).IsTrue() {
		return fmt.Errorf("not Ready for generation %d: %+v", g.Generation, g.Status)
	}
	if c := g.Status.GetCondition(servingv1alpha1.DomainGrantConditionExclusive); c == nil || c.Status != want {
		return fmt.Errorf("Exclusive = %+v, want %s", c, want)
	}
	return nil
}

func TestEnvSharedThenExclusive(t *testing.T) {
	ctx := context.Background()
	a := fixture.DomainGrant("env-a", "team-a", "*.shared.example.org")
	b := fixture.DomainGrant("env-b", "team-b", "api.shared.example.org")
	for _, g := range []*servingv1alpha1.DomainGrant{a, b} {
		if err := k8s.Create(ctx, g); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = k8s.Delete(context.Background(), g) })
	}
	for _, name := range []string{"env-a", "env-b"} {
		testutil.Eventually(t, testenv.Timeout, name+" shared", func(ctx context.Context) error {
			return exclusive(ctx, name, corev1.ConditionFalse)
		})
	}
	if err := k8s.Delete(ctx, b); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "env-a exclusive once env-b is gone", func(ctx context.Context) error {
		return exclusive(ctx, "env-a", corev1.ConditionTrue)
	})
}
