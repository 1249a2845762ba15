package route

import (
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/controllers/route/resolve"
	"github.com/wakefn/wake/internal/fixture"
)

// newRoute returns a Route of generation 2 created age seconds after
// fixture.Epoch, sending all traffic of one rule to target.
func newRoute(ns, name string, age int, target servingv1alpha1.TrafficTarget, hosts ...string) *servingv1alpha1.Route {
	return fixture.Route(ns, name, fixture.WithRouteGeneration(2), fixture.WithRouteCreated(time.Duration(age)*time.Second),
		fixture.WithHosts(hosts...), fixture.WithRule(target))
}

// readyFunction returns a ready Function in team-a whose latest ready
// revision is latestReady.
func readyFunction(name, latestReady string) *servingv1alpha1.Function {
	return fixture.Function("team-a", name, fixture.WithLatestReady(latestReady), fixture.WithFunctionReady())
}

// harness is the Route reconciler on a fake client.
type harness = reconcilertest.Harness[*Reconciler]

// newHarness returns a harness holding objs, set up by s, with the
// package's field indexes and, unless s says otherwise, the domain
// wake.example and the domain policy first-come (the table's cases under
// the claims policy say so).
func newHarness(t testing.TB, s reconcilertest.Setup, objs ...client.Object) *harness {
	t.Helper()
	if s.Config == nil {
		s.Config = map[string]string{"domain": "wake.example", "domain-policy": "first-come"}
	}
	for _, ix := range indexes {
		s.Indexes = append(s.Indexes, reconcilertest.Index{Object: &servingv1alpha1.Route{}, Field: ix.field, Extract: indexFunc(ix.extract)})
	}
	// The credentials reconciler's index, which the mirror watch reads.
	s.Indexes = append(s.Indexes, reconcilertest.Index{Object: &servingv1alpha1.Route{}, Field: resolve.IndexCredentialSecrets,
		Extract: indexFunc(resolve.CredentialSecretNames)})
	return reconcilertest.New(t, s, newReconciler, objs...)
}

// systemNamespace holds the credentials mirrors in the tests.
const systemNamespace = "wake-system"

// newReconciler makes the Route reconciler, for the harness and for the
// envtest manager (which sets Reader to its API reader): it reads tenants'
// Secrets through d's client.
func newReconciler(d reconciler.Deps) *Reconciler {
	return &Reconciler{Deps: d, Reader: d.Client, SystemNamespace: systemNamespace}
}
