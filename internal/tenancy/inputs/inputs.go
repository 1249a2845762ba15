// Package inputs reads what package tenancy resolves from the cluster:
// it lists every TenantPolicy and every namespace's metadata from a cache
// (List) and tells when they changed in a way that can change the limits
// (Watch). The activators' feed, the autoscaler and the TenantPolicy
// reconciler all read them through here.
//
// What belongs here: the client and cache side of the tenant rules; the
// rules themselves stay pure in package tenancy.
package inputs

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy"
)

// NamespaceMeta returns the metadata-only object under which every reader
// of the tenant rules caches namespaces: names and labels are all
// tenancy.Resolve reads.
func NamespaceMeta() *metav1.PartialObjectMetadata {
	m := &metav1.PartialObjectMetadata{}
	m.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	return m
}

// Set is everything tenancy.Resolve reads from the cluster: every TenantPolicy
// and every namespace's metadata.
type Set struct {
	// Policies are the TenantPolicies.
	Policies []servingv1alpha1.TenantPolicy
	// Namespaces are the namespaces' metadata.
	Namespaces []metav1.PartialObjectMetadata
}

// List reads the Set from r, a cache, without copying its objects: the
// caller must not change them.
func List(ctx context.Context, r client.Reader) (*Set, error) {
	policies := &servingv1alpha1.TenantPolicyList{}
	if err := r.List(ctx, policies, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list tenant policies: %w", err)
	}
	nss := &metav1.PartialObjectMetadataList{}
	nss.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("NamespaceList"))
	if err := r.List(ctx, nss, client.UnsafeDisableDeepCopy); err != nil {
		return nil, fmt.Errorf("list namespaces: %w", err)
	}
	return &Set{Policies: policies.Items, Namespaces: nss.Items}, nil
}

// Resolve resolves the set with wake-config's tenant-* defaults.
func (in *Set) Resolve(defaults config.Tenant) *tenancy.Result {
	return tenancy.Resolve(in.Policies, tenancy.NamespacesOf(in.Namespaces), defaults)
}

// Watch registers with c's TenantPolicy and namespace informers a handler
// that calls changed whenever the limits may have changed: a policy or a
// namespace was added or deleted, a policy's spec changed or a namespace's
// labels did. It returns the two registrations. Before c starts, getting
// an informer only registers it.
func Watch(ctx context.Context, c cache.Informers, changed func()) ([]toolscache.ResourceEventHandlerRegistration, error) {
	watches := []struct {
		obj     client.Object
		handler toolscache.ResourceEventHandler
	}{
		{&servingv1alpha1.TenantPolicy{}, handlerOf(changed, specChanged)},
		{NamespaceMeta(), handlerOf(changed, labelsChanged)},
	}
	regs := make([]toolscache.ResourceEventHandlerRegistration, 0, len(watches))
	for _, w := range watches {
		inf, err := c.GetInformer(ctx, w.obj)
		if err != nil {
			return nil, fmt.Errorf("get %T informer: %w", w.obj, err)
		}
		reg, err := inf.AddEventHandler(w.handler)
		if err != nil {
			return nil, fmt.Errorf("watch %T: %w", w.obj, err)
		}
		regs = append(regs, reg)
	}
	return regs, nil
}

// handlerOf calls changed on every addition and deletion, and on the
// updates for which updated reports a change.
func handlerOf(changed func(), updated func(old, cur any) bool) toolscache.ResourceEventHandler {
	return toolscache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { changed() },
		DeleteFunc: func(any) { changed() },
		UpdateFunc: func(old, cur any) {
			if updated(old, cur) {
				changed()
			}
		},
	}
}

// specChanged reports whether an informer's update of a TenantPolicy may
// change the limits: its spec did (its generation), not only its status.
// Anything it cannot tell counts as a change.
func specChanged(old, cur any) bool {
	o, ok1 := old.(*servingv1alpha1.TenantPolicy)
	c, ok2 := cur.(*servingv1alpha1.TenantPolicy)
	return !ok1 || !ok2 || o.Generation != c.Generation || o.Generation == 0
}

// labelsChanged reports whether an informer's update of a namespace
// changed its labels. Anything it cannot tell counts as a change.
func labelsChanged(old, cur any) bool {
	o, ok1 := old.(metav1.Object)
	c, ok2 := cur.(metav1.Object)
	return !ok1 || !ok2 || !maps.Equal(o.GetLabels(), c.GetLabels())
}
