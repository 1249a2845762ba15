package revision

import (
	"context"
	"fmt"
	"os"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// k8s talks to the envtest API server directly, without a cache.
var k8s client.Client

// TestMain starts an API server and a manager running only the Revision
// reconciler, then the tests; the table tests ignore both.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunSuite(m, testenv.Suite{
		Cache: cache.Options{ByObject: CacheByObject()},
		Setup: func(mgr ctrl.Manager) error {
			return newReconciler(reconciler.NewDeps(mgr, config.NewStore())).SetupWithManager(mgr)
		},
		Ready: func(_ *testenv.Env, c client.Client) { k8s = c },
	}))
}

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return testenv.Namespace(t, k8s, "rev")
}

// createRevision creates Revision hello-00001 of Function hello in ns,
// changed by opts.
func createRevision(t *testing.T, ns string, opts ...fixture.RevisionOption) *servingv1alpha1.Revision {
	t.Helper()
	rev := fixture.Revision(ns, testName, append([]fixture.RevisionOption{fixture.WithFunctionLabel("hello")}, opts...)...)
	if err := k8s.Create(context.Background(), rev); err != nil {
		t.Fatalf("create revision: %v", err)
	}
	return rev
}

// revisionCondition returns the revision's condition t, or an error until
// it has the wanted status (and reason, when given).
func revisionCondition(ctx context.Context, key types.NamespacedName, t apis.ConditionType, status corev1.ConditionStatus, reason string) error {
	rev := &servingv1alpha1.Revision{}
	if err := k8s.Get(ctx, key, rev); err != nil {
		return err
	}
	c := rev.Status.GetCondition(t)
	if c == nil {
		return fmt.Errorf("no %s condition yet", t)
	}
	if c.Status != status || (reason != "" && c.Reason != reason) {
		return fmt.Errorf("%s is %s/%s (%s), want %s/%s", t, c.Status, c.Reason, c.Message, status, reason)
	}
	if rev.Status.ObservedGeneration != rev.Generation {
		return fmt.Errorf("observedGeneration %d, generation %d", rev.Status.ObservedGeneration, rev.Generation)
	}
	return nil
}

// getDeployment waits for the revision's Deployment.
func getDeployment(t *testing.T, key types.NamespacedName) *appsv1.Deployment {
	t.Helper()
	d := &appsv1.Deployment{}
	testutil.Eventually(t, testenv.Timeout, "the Deployment exists", func(ctx context.Context) error { return k8s.Get(ctx, key, d) })
	return d
}

// setDeploymentStatus writes a Deployment's status as kube-controller-manager
// would (envtest runs none).
func setDeploymentStatus(t *testing.T, key types.NamespacedName, replicas, ready int32) {
	t.Helper()
	testutil.Eventually(t, testenv.Timeout, "set the Deployment's status", func(ctx context.Context) error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, key, d); err != nil {
			return err
		}
		d.Status.ObservedGeneration = d.Generation
		d.Status.Replicas, d.Status.UpdatedReplicas = replicas, replicas
		d.Status.ReadyReplicas, d.Status.AvailableReplicas = ready, ready
		return k8s.Status().Update(ctx, d)
	})
}
