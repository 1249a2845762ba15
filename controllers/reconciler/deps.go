package reconciler

import (
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/config"
)

// Deps is what every Wake reconciler works through; each kind's Reconciler
// embeds it.
type Deps struct {
	// Client reads from the manager's cache and writes to the API server.
	Client client.Client
	// Recorder records events on the reconciled objects.
	Recorder events.EventRecorder
	// Config holds wake-config (the domain, the scaling defaults).
	Config *config.Store
}

// RecorderName is the name Wake's controller records events under.
const RecorderName = "wake-controller"

// NewDeps returns the Deps of a reconciler run by mgr: its client, its
// event recorder (RecorderName) and the wake-config store cfg.
func NewDeps(mgr ctrl.Manager, cfg *config.Store) Deps {
	return Deps{Client: mgr.GetClient(), Recorder: mgr.GetEventRecorder(RecorderName), Config: cfg}
}
