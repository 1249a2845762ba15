// Package controllers wires Wake's reconcilers into a controller-runtime
// manager. Each kind has its own package below this one.
package controllers

import (
	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/wakefn/wake/controllers/function"
	"github.com/wakefn/wake/internal/config"
)

// Options configures Setup.
type Options struct {
	// SystemNamespace is where wake-config lives.
	SystemNamespace string
}

// Setup registers the wake-config watcher and every reconciler with mgr, and
// returns the configuration store they share.
func Setup(mgr ctrl.Manager, opts Options) (*config.Store, error) {
	store := config.NewStore()
	recorder := mgr.GetEventRecorder("wake-controller")
	cw := &config.Watcher{Client: mgr.GetClient(), Store: store, Namespace: opts.SystemNamespace, Recorder: recorder}
	if err := cw.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	fr := &function.Reconciler{Client: mgr.GetClient(), Recorder: recorder, Config: store}
	if err := fr.SetupWithManager(mgr); err != nil {
		return nil, err
	}
	return store, nil
}
