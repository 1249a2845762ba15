package config

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// ReasonInvalidConfig is the reason of the Warning event recorded on
// wake-config when a value is malformed.
const ReasonInvalidConfig = "InvalidConfig"

// Watcher keeps a Store in step with the wake-config ConfigMap.
type Watcher struct {
	// Client reads the ConfigMap.
	Client client.Client
	// Store receives the parsed configuration.
	Store *Store
	// Namespace is where wake-config lives (Wake's own namespace).
	Namespace string
	// Recorder records a Warning event on the ConfigMap for malformed values.
	Recorder events.EventRecorder
}

// +kubebuilder:rbac:groups="",namespace=wake-system,resources=configmaps,verbs=get;list;watch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile loads wake-config into the Store.
func (w *Watcher) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	cm := &corev1.ConfigMap{}
	err := w.Client.Get(ctx, req.NamespacedName, cm)
	switch {
	case apierrors.IsNotFound(err):
		log.FromContext(ctx).Info("wake-config not found; using defaults")
		return ctrl.Result{}, w.Store.Update(nil)
	case err != nil:
		return ctrl.Result{}, fmt.Errorf("get %s: %w", req.NamespacedName, err)
	}
	data := cm.Data
	if data == nil {
		data = map[string]string{}
	}
	if err := w.Store.Update(data); err != nil {
		log.FromContext(ctx).Error(err, "malformed values in wake-config; keeping their last good values")
		if w.Recorder != nil {
			w.Recorder.Eventf(cm, nil, corev1.EventTypeWarning, ReasonInvalidConfig, "Parse", "%v", err)
		}
	}
	return ctrl.Result{}, nil
}

// SetupWithManager watches wake-config.
func (w *Watcher) SetupWithManager(mgr ctrl.Manager) error {
	key := types.NamespacedName{Namespace: w.Namespace, Name: Name}
	return ctrl.NewControllerManagedBy(mgr).
		Named("wake-config").
		For(&corev1.ConfigMap{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return o.GetNamespace() == key.Namespace && o.GetName() == key.Name
		}))).
		Complete(w)
}
