package route

import (
	"testing"
	"time"

	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/scheme"
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

// newFake returns a reconciler on a fake client holding objs, with the
// package's field indexes, the interceptor funcs and a fake recorder.
func newFake(t *testing.T, funcs interceptor.Funcs, objs ...client.Object) (*Reconciler, client.Client, *events.FakeRecorder) {
	t.Helper()
	b := fake.NewClientBuilder().WithScheme(scheme.New()).
		WithStatusSubresource(&servingv1alpha1.Route{}, &servingv1alpha1.Function{}, &servingv1alpha1.Revision{}).
		WithObjects(objs...).
		WithInterceptorFuncs(funcs)
	for _, ix := range indexes {
		b = b.WithIndex(&servingv1alpha1.Route{}, ix.field, indexFunc(ix.extract))
	}
	c := b.Build()
	store := config.NewStore()
	if err := store.Update(map[string]string{"domain": "wake.example"}); err != nil {
		t.Fatal(err)
	}
	rec := events.NewFakeRecorder(100)
	return &Reconciler{Client: c, Recorder: rec, Config: store}, c, rec
}

// drain returns the events recorded so far.
func drain(rec *events.FakeRecorder) []string {
	var out []string
	for {
		select {
		case e := <-rec.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}
