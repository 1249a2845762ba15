package credentials

import (
	"context"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// CacheByObject limits the manager's cached Secrets to the mirrors (the
// limit holds for its metadata informers of Secrets too, which is why
// tenants' Secrets are watched through a cache of their own, by metadata
// only); they are read from the API server when a Route names them.
func CacheByObject(systemNamespace string) map[client.Object]cache.ByObject {
	return map[client.Object]cache.ByObject{
		&corev1.Secret{}: {
			Namespaces: map[string]cache.Config{systemNamespace: {}},
			Label:      labelsMirror,
		},
	}
}

// SetupWithManager registers the Route index and the reconciler. A Secret's
// mirror is reconciled when:
//   - a Route naming it changes (before and after the change), is created
//     or deleted;
//   - the Secret changes, is created or deleted, while a Route names it;
//   - the mirror itself changes or is deleted.
func (r *Reconciler) SetupWithManager(mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(context.Background(), &servingv1alpha1.Route{}, resolve.IndexCredentialSecrets, func(o client.Object) []string {
		if rt, ok := o.(*servingv1alpha1.Route); ok {
			return resolve.CredentialSecretNames(rt)
		}
		return nil
	})
	if err != nil {
		return err
	}
	// Every Secret's metadata, in every namespace, stripped of managed
	// fields: a cache apart from the manager's, which holds only mirrors.
	secrets, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper(), DefaultTransform: cache.TransformStripManagedFields(),
	})
	if err != nil {
		return err
	}
	if err := mgr.Add(secrets); err != nil {
		return err
	}
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	return ctrl.NewControllerManagedBy(mgr).
		Named("credentials").
		Watches(&servingv1alpha1.Route{}, handler.EnqueueRequestsFromMapFunc(secretsOf)).
		WatchesRawSource(source.Kind(secrets, client.Object(meta), handler.EnqueueRequestsFromMapFunc(r.sourceOf))).
		// The mirrors, from the informer the reconciler reads them from.
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(r.sourceOf)).
		Complete(r)
}

// secretsOf maps a Route to the Secrets it names.
func secretsOf(_ context.Context, o client.Object) []reconcile.Request {
	rt, ok := o.(*servingv1alpha1.Route)
	if !ok {
		return nil
	}
	var out []reconcile.Request
	for _, name := range resolve.CredentialSecretNames(rt) {
		out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: rt.Namespace, Name: name}})
	}
	return out
}

// sourceOf maps a mirror to its source, and a Secret a Route names to
// itself; other Secrets are not reconciled.
func (r *Reconciler) sourceOf(ctx context.Context, o client.Object) []reconcile.Request {
	if o.GetNamespace() == r.SystemNamespace && o.GetLabels()[LabelMirror] == servingv1alpha1.CredentialsMirrorLabelValue {
		a := o.GetAnnotations()
		if a[AnnotationNamespace] == "" || a[AnnotationName] == "" {
			return nil
		}
		return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: a[AnnotationNamespace], Name: a[AnnotationName]}}}
	}
	key := client.ObjectKeyFromObject(o)
	if used, err := r.named(ctx, key); err != nil || !used {
		return nil
	}
	return []reconcile.Request{{NamespacedName: key}}
}
