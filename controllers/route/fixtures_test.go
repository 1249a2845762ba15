package route

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/scheme"
)

// t0 is the creation time of the oldest test Routes.
var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// newRoute returns a Route created age seconds after t0, sending all
// traffic of one rule to target.
func newRoute(ns, name string, age int, target servingv1alpha1.TrafficTarget, hosts ...string) *servingv1alpha1.Route {
	rt := &servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Generation: 2,
			CreationTimestamp: metav1.NewTime(t0.Add(time.Duration(age) * time.Second))},
		Spec: servingv1alpha1.RouteSpec{Rules: []servingv1alpha1.RouteRule{{
			Traffic: []servingv1alpha1.TrafficTarget{target},
		}}},
	}
	for _, h := range hosts {
		rt.Spec.Hosts = append(rt.Spec.Hosts, servingv1alpha1.Hostname(h))
	}
	return rt
}

// toFunction and toRevision build single 100% targets.
func toFunction(name string) servingv1alpha1.TrafficTarget {
	return servingv1alpha1.TrafficTarget{FunctionName: name, Percent: 100}
}

func toRevision(name string) servingv1alpha1.TrafficTarget {
	return servingv1alpha1.TrafficTarget{RevisionName: name, Percent: 100}
}

// readyFunction returns a Function in team-a whose latest ready revision
// is latestReady.
func readyFunction(name, latestReady string) *servingv1alpha1.Function {
	fn := &servingv1alpha1.Function{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name}}
	fn.Status.InitializeConditions()
	fn.Status.MarkLatestRevisionReady()
	fn.Status.LatestReadyRevisionName = latestReady
	return fn
}

// revision returns a Revision of function fn in team-a, ready or not.
func revision(fn, name string, ready bool) *servingv1alpha1.Revision {
	rev := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: name,
		Labels: map[string]string{servingv1alpha1.FunctionLabelKey: fn}}}
	rev.Status.InitializeConditions()
	if ready {
		rev.Status.MarkResourcesAvailable()
		rev.Status.MarkContainerHealthy()
	}
	return rev
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
