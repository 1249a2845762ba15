package function

import (
	"testing"

	"k8s.io/client-go/tools/events"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/config"
)

// newHarness returns the Function reconciler on a fake client holding
// objs, set up by s.
func newHarness(t testing.TB, s reconcilertest.Setup, objs ...client.Object) *reconcilertest.Harness[*Reconciler] {
	t.Helper()
	return reconcilertest.New(t, s, func(c client.Client, rec events.EventRecorder, cfg *config.Store) *Reconciler {
		return &Reconciler{Client: c, Recorder: rec, Config: cfg}
	}, objs...)
}
