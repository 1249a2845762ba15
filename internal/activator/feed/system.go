package feed

import (
	"context"
	"fmt"
	"sync"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"

	"github.com/wakefn/wake/internal/config"
)

// +kubebuilder:rbac:groups="",namespace=wake-system,resources=configmaps,verbs=get;list;watch

// SystemWatcher follows what the activator reads from Wake's own namespace:
// the wake-config ConfigMap, and the EndpointSlices of the activator's
// Service, from which each activator learns how many activators there are and
// its own index, to take its share of each pod's containerConcurrency.
type SystemWatcher struct {
	// Cache holds wake-config and the activator Service's EndpointSlices,
	// in Wake's namespace only.
	Cache cache.Cache
	// Config receives wake-config.
	Config *config.Store
	// SelfIP is this activator's pod IP.
	SelfIP string
	// Log records malformed configuration.
	Log logr.Logger

	mu            sync.Mutex
	count, index  int
	peers         []string // never modified once set
	setActivators func(count, index int)
}

// Peers returns the IPs of the ready activators sorted as for their
// indices: Peers()[k] is the activator with index k, this one included. The
// caller must not modify the slice.
func (w *SystemWatcher) Peers() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.peers
}

// BindActivators sends the current activator count and index to f, and every
// later change. Until it is called, changes are only remembered.
func (w *SystemWatcher) BindActivators(f func(count, index int)) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.setActivators = f
	if w.count > 0 {
		f(w.count, w.index)
	}
}

// Start registers the event handlers and waits for the cache to sync, so
// that wake-config is loaded when it returns. The Cache must be started
// separately.
func (w *SystemWatcher) Start(ctx context.Context) error {
	cmInf, err := w.Cache.GetInformer(ctx, &corev1.ConfigMap{})
	if err != nil {
		return fmt.Errorf("configmap informer: %w", err)
	}
	if _, err := cmInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(o any) { w.loadConfig(o) },
		UpdateFunc: func(_, o any) { w.loadConfig(o) },
		DeleteFunc: func(any) { _ = w.Config.Update(nil) },
	}); err != nil {
		return fmt.Errorf("configmap handler: %w", err)
	}
	esInf, err := w.Cache.GetInformer(ctx, &discoveryv1.EndpointSlice{})
	if err != nil {
		return fmt.Errorf("endpointslice informer: %w", err)
	}
	sync := func(any) { w.syncActivators(ctx) }
	if _, err := esInf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc: sync, UpdateFunc: func(_, o any) { sync(o) }, DeleteFunc: sync,
	}); err != nil {
		return fmt.Errorf("endpointslice handler: %w", err)
	}
	if !w.Cache.WaitForCacheSync(ctx) {
		return fmt.Errorf("system cache did not sync")
	}
	return nil
}

func (w *SystemWatcher) loadConfig(o any) {
	cm, ok := o.(*corev1.ConfigMap)
	if !ok || cm.Name != config.Name {
		return
	}
	data := cm.Data
	if data == nil {
		data = map[string]string{}
	}
	if err := w.Config.Update(data); err != nil {
		w.Log.Error(err, "malformed values in wake-config; keeping their last good values")
	}
}

func (w *SystemWatcher) syncActivators(ctx context.Context) {
	list := &discoveryv1.EndpointSliceList{}
	if err := w.Cache.List(ctx, list); err != nil {
		w.Log.Error(err, "list activator endpoint slices")
		return
	}
	slices := make([]*discoveryv1.EndpointSlice, len(list.Items))
	for i := range list.Items {
		slices[i] = &list.Items[i]
	}
	peers, index := ActivatorPeers(slices, w.SelfIP)
	count := len(peers)
	w.mu.Lock()
	defer w.mu.Unlock()
	w.count, w.index, w.peers = count, index, peers
	if w.setActivators != nil {
		w.setActivators(count, index)
	}
}
