package route

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// reconcileCredentials sets CredentialsResolved from the mirrors of the
// credential Secrets rt names (see resolve.MarkCredentials). The mirrors
// come from the cache; only for a Secret without a mirror is the Secret's
// existence read, from the API server, and the namespace's mirrors
// counted. On a read error the condition is left untouched.
func (r *Reconciler) reconcileCredentials(ctx context.Context, rt *servingv1alpha1.Route) error {
	names := resolve.CredentialSecretNames(rt)
	secrets := make([]resolve.CredentialSecret, len(names))
	unmirrored := false
	for i, name := range names {
		secrets[i].Name = name
		mirror := &corev1.Secret{}
		key := types.NamespacedName{Namespace: r.SystemNamespace, Name: resolve.MirrorName(rt.Namespace, name)}
		found, err := r.get(ctx, key, mirror)
		if err != nil {
			return fmt.Errorf("get credentials mirror of secret %s/%s: %w", rt.Namespace, name, err)
		}
		if found {
			secrets[i].Mirror = mirror
			continue
		}
		if secrets[i].Exists, err = r.secretExists(ctx, types.NamespacedName{Namespace: rt.Namespace, Name: name}); err != nil {
			return err
		}
		unmirrored = unmirrored || secrets[i].Exists
	}
	full := false
	if unmirrored {
		n, err := r.mirrorsOf(ctx, rt.Namespace)
		if err != nil {
			return err
		}
		full = n >= resolve.MaxSecretsPerNamespace
	}
	resolve.MarkCredentials(&rt.Status, secrets, full)
	return nil
}

// secretExists reads whether Secret key exists, by its metadata alone,
// from the API server: tenants' Secrets are not cached.
func (r *Reconciler) secretExists(ctx context.Context, key types.NamespacedName) (bool, error) {
	meta := &metav1.PartialObjectMetadata{}
	meta.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
	err := r.Reader.Get(ctx, key, meta)
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("get credential secret %s: %w", key, err)
	}
	return true, nil
}

// mirrorsOf counts the mirrors of namespace ns's Secrets in the cache.
func (r *Reconciler) mirrorsOf(ctx context.Context, ns string) (int, error) {
	mirrors := &corev1.SecretList{}
	if err := r.Client.List(ctx, mirrors, client.InNamespace(r.SystemNamespace),
		client.MatchingLabels{servingv1alpha1.CredentialsMirrorLabelKey: servingv1alpha1.CredentialsMirrorLabelValue}); err != nil {
		return 0, fmt.Errorf("list credentials mirrors: %w", err)
	}
	n := 0
	for _, m := range mirrors.Items {
		if m.Annotations[servingv1alpha1.CredentialsNamespaceAnnotationKey] == ns {
			n++
		}
	}
	return n, nil
}
