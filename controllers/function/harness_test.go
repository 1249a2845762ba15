package function

import (
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
)

// newHarness returns the Function reconciler on a fake client holding
// objs, set up by s.
func newHarness(t testing.TB, s reconcilertest.Setup, objs ...client.Object) *reconcilertest.Harness[*Reconciler] {
	t.Helper()
	return reconcilertest.New(t, s, func(d reconciler.Deps) *Reconciler {
		return &Reconciler{Deps: d}
	}, objs...)
}
