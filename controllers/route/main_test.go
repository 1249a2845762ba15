package route

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/credentials"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// k8s talks to the envtest API server directly, without a cache.
var k8s client.Client

// store is the envtest reconciler's wake-config: the default domain and the
// domain policy first-come, except while a test runs under useClaims.
var store = config.NewStore()

// TestMain starts an API server and a manager running the Route reconciler
// and the credentials reconciler (which writes the mirrors the Route
// reconciler reads and registers the index its mirror watch uses), with
// the production cache limits on Secrets, then the tests; the table tests
// ignore both.
func TestMain(m *testing.M) {
	if err := store.Update(map[string]string{config.KeyDomainPolicy: config.DomainPolicyFirstCome}); err != nil {
		panic(err)
	}
	os.Exit(testenv.RunSuite(m, testenv.Suite{
		Cache: cache.Options{ByObject: credentials.CacheByObject(systemNamespace)},
		Setup: func(mgr ctrl.Manager) error {
			r := newReconciler(reconciler.NewDeps(mgr, store))
			r.Reader = mgr.GetAPIReader()
			if err := r.SetupWithManager(mgr); err != nil {
				return err
			}
			return (&credentials.Reconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), SystemNamespace: systemNamespace}).SetupWithManager(mgr)
		},
		Ready: func(_ *testenv.Env, c client.Client) { k8s = c },
	}))
}

// useClaims runs the rest of the test under the domain policy "claims" (the
// change re-reconciles every Route) and restores first-come after it. The
// envtest scenarios do not run in parallel.
func useClaims(t *testing.T) {
	t.Helper()
	if err := store.Update(map[string]string{config.KeyDomainPolicy: config.DomainPolicyClaims}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := store.Update(map[string]string{config.KeyDomainPolicy: config.DomainPolicyFirstCome}); err != nil {
			t.Error(err)
		}
	})
}

// createGrant creates a DomainGrant of domains to ns, deleted after the
// test.
func createGrant(t *testing.T, name, ns string, domains ...string) *servingv1alpha1.DomainGrant {
	t.Helper()
	g := fixture.DomainGrant(name, ns, domains...)
	if err := k8s.Create(context.Background(), g); err != nil {
		t.Fatalf("create domain grant: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), g) })
	return g
}

// newNamespace creates a namespace for one test.
func newNamespace(t *testing.T) string {
	t.Helper()
	return testenv.Namespace(t, k8s, "rt")
}

// createFunction creates Function name in ns and, when latestReady is set,
// gives it that latest ready revision, as the Function reconciler would.
func createFunction(t *testing.T, ns, name, latestReady string) {
	t.Helper()
	ctx := context.Background()
	fn := fixture.Function(ns, name)
	if err := k8s.Create(ctx, fn); err != nil {
		t.Fatalf("create function: %v", err)
	}
	if latestReady == "" {
		return
	}
	fixture.WithLatestCreated(latestReady)(fn)
	fixture.WithLatestReady(latestReady)(fn)
	fixture.WithFunctionReady()(fn)
	if err := k8s.Status().Update(ctx, fn); err != nil {
		t.Fatalf("update function status: %v", err)
	}
}

// createRevision creates Revision name of function fn in ns, ready or not.
func createRevision(t *testing.T, ns, fn, name string, ready bool) {
	t.Helper()
	if err := k8s.Create(context.Background(), fixture.Revision(ns, name, fixture.WithFunctionLabel(fn))); err != nil {
		t.Fatalf("create revision: %v", err)
	}
	if ready {
		setRevisionReady(t, types.NamespacedName{Namespace: ns, Name: name})
	}
}

// setRevisionReady marks a Revision ready, as the Revision reconciler would.
func setRevisionReady(t *testing.T, key types.NamespacedName) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		rev := &servingv1alpha1.Revision{}
		if err := k8s.Get(context.Background(), key, rev); err != nil {
			return err
		}
		fixture.WithRevisionReady()(rev)
		return k8s.Status().Update(context.Background(), rev)
	})
	if err != nil {
		t.Fatalf("mark revision %s ready: %v", key, err)
	}
}

// createRoute creates a Route in ns with the given hosts and one rule.
func createRoute(t *testing.T, ns, name string, hosts []string, traffic ...servingv1alpha1.TrafficTarget) *servingv1alpha1.Route {
	t.Helper()
	rt := fixture.Route(ns, name, fixture.WithHosts(hosts...), fixture.WithRule(traffic...))
	if err := k8s.Create(context.Background(), rt); err != nil {
		t.Fatalf("create route: %v", err)
	}
	return rt
}

// routeCondition returns nil once the Route's condition typ has status (and
// reason and message, when given) for its current generation.
func routeCondition(ctx context.Context, key types.NamespacedName, typ apis.ConditionType, status corev1.ConditionStatus, reason, message string) error {
	rt := &servingv1alpha1.Route{}
	if err := k8s.Get(ctx, key, rt); err != nil {
		return err
	}
	if rt.Status.ObservedGeneration != rt.Generation {
		return fmt.Errorf("observedGeneration %d, generation %d", rt.Status.ObservedGeneration, rt.Generation)
	}
	c := rt.Status.GetCondition(typ)
	switch {
	case c == nil:
		return fmt.Errorf("no %s condition yet", typ)
	case c.Status != status || reason != "" && c.Reason != reason || message != "" && c.Message != message:
		return fmt.Errorf("%s is %s %s %q, want %s %s %q", typ, c.Status, c.Reason, c.Message, status, reason, message)
	}
	return nil
}

// waitYounger waits until a Route created now is strictly younger than
// Route key: creation timestamps have one-second resolution, and age, not
// the name tie-break, must decide.
func waitYounger(t *testing.T, key types.NamespacedName) {
	t.Helper()
	testutil.Eventually(t, testenv.Timeout, "clock past the older route's second", func(context.Context) error {
		if created := getRoute(t, key).CreationTimestamp; !time.Now().After(created.Add(time.Second)) {
			return errors.New("same second")
		}
		return nil
	})
}

// getRoute reads a Route.
func getRoute(t *testing.T, key types.NamespacedName) *servingv1alpha1.Route {
	t.Helper()
	rt := &servingv1alpha1.Route{}
	if err := k8s.Get(context.Background(), key, rt); err != nil {
		t.Fatal(err)
	}
	return rt
}

// hasEvent returns nil once an event of type and reason regards the Route.
func hasEvent(ctx context.Context, key types.NamespacedName, typ, reason string) error {
	list := &eventsv1.EventList{}
	if err := k8s.List(ctx, list, client.InNamespace(key.Namespace)); err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.Regarding.Name == key.Name && e.Type == typ && e.Reason == reason {
			return nil
		}
	}
	return fmt.Errorf("no %s %s event on %s among %d events", typ, reason, key, len(list.Items))
}
