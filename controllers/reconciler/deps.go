package reconciler

import (
	"k8s.io/client-go/tools/events"
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
