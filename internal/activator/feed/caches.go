package feed

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy/inputs"
)

// NewCache returns the cache for the Watcher and the TenantWatcher: every
// Function, Revision and Route, and only the Services, EndpointSlices and
// pods labelled with a revision (Functions, Revisions and Services
// stripped to what the activator reads, Routes of their usage, see
// strip.go, pods to their IPs); every
// TenantPolicy (stripped to its spec) and every namespace's metadata
// (stripped to its name and labels). Every object is stripped of its
// managed fields, which the activator never reads: at 10,000 Functions they
// would be most of the cache.
func NewCache(cfg *rest.Config, scheme *runtime.Scheme) (cache.Cache, error) {
	hasRevision, err := labels.NewRequirement(servingv1alpha1.RevisionLabelKey, selection.Exists, nil)
	if err != nil {
		return nil, fmt.Errorf("revision label selector: %w", err)
	}
	return cache.New(cfg, cache.Options{
		Scheme:           scheme,
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&discoveryv1.EndpointSlice{}:    {Label: labels.NewSelector().Add(*hasRevision)},
			&corev1.Service{}:               {Label: labels.NewSelector().Add(*hasRevision), Transform: stripService},
			&servingv1alpha1.Function{}:     {Transform: stripFunction},
			&servingv1alpha1.Revision{}:     {Transform: stripRevision},
			&servingv1alpha1.Route{}:        {Transform: stripRoute},
			&corev1.Pod{}:                   {Label: labels.NewSelector().Add(*hasRevision), Transform: stripPod},
			&servingv1alpha1.TenantPolicy{}: {Transform: stripTenantPolicy},
			inputs.NamespaceMeta():          {Transform: stripNamespace},
		},
	})
}

// NewSystemCache returns the cache for the SystemWatcher and the Watcher's
// credentials: wake-config, the EndpointSlices of the activator Service
// and the credentials mirrors, in namespace ns.
func NewSystemCache(cfg *rest.Config, scheme *runtime.Scheme, ns, activatorService string) (cache.Cache, error) {
	return cache.New(cfg, cache.Options{
		Scheme:            scheme,
		DefaultNamespaces: map[string]cache.Config{ns: {}},
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}: {Field: fields.OneTermEqualSelector("metadata.name", config.Name)},
			&discoveryv1.EndpointSlice{}: {Label: labels.SelectorFromSet(labels.Set{
				discoveryv1.LabelServiceName: activatorService,
			})},
			&corev1.Secret{}: {Label: labels.SelectorFromSet(labels.Set{servingv1alpha1.CredentialsMirrorLabelKey: servingv1alpha1.CredentialsMirrorLabelValue})},
		},
	})
}
