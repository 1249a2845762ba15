// Package credentials mirrors the credential Secrets that Routes' apiKeys
// policies name into Wake's namespace, as hashes: for each Secret a Route
// names, a Secret "credentials-<hash>" in the system namespace maps each
// client ID to the SHA-256 of its secret. The activators read only those
// mirrors (a Role in the system namespace), never a tenant's Secret, and
// hold no secret in the clear.
//
// A mirror is keyed by its source Secret (namespace and name): it exists
// while some Route of that namespace names the Secret and the Secret
// exists, and follows the Secret's changes within the watch's latency
// (rotation). The source's name, up to 253 characters, is in annotations;
// the label LabelMirror marks mirrors for the activators' watch.
package credentials

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"strconv"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// The marks of a mirror (see api/v1alpha1).
const (
	LabelMirror         = servingv1alpha1.CredentialsMirrorLabelKey
	AnnotationNamespace = servingv1alpha1.CredentialsNamespaceAnnotationKey
	AnnotationName      = servingv1alpha1.CredentialsNameAnnotationKey
)

// retryFull is when a Secret over resolve.MaxSecretsPerNamespace is tried
// again.
const retryFull = time.Minute

// labelsMirror selects the mirrors.
var labelsMirror = labels.SelectorFromSet(labels.Set{LabelMirror: servingv1alpha1.CredentialsMirrorLabelValue})

// Reconciler keeps one source Secret's mirror in step.
type Reconciler struct {
	// Client reads Routes and mirrors from the cache and writes mirrors.
	Client client.Client
	// Reader reads tenants' Secrets from the API server: they are not
	// cached (only their metadata is watched).
	Reader client.Reader
	// SystemNamespace holds the mirrors.
	SystemNamespace string
}

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch;create;update;delete

// Reconcile writes or deletes the mirror of the Secret req names.
func (r *Reconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	key := types.NamespacedName{Namespace: r.SystemNamespace, Name: resolve.MirrorName(req.Namespace, req.Name)}
	mirror := &corev1.Secret{}
	exists, err := found(r.Client.Get(ctx, key, mirror))
	if err != nil {
		return ctrl.Result{}, fmt.Errorf("read credentials mirror %s: %w", key.Name, err)
	}
	used, err := r.named(ctx, req.NamespacedName)
	if err != nil {
		return ctrl.Result{}, err
	}
	src := &corev1.Secret{}
	if used {
		if used, err = found(r.Reader.Get(ctx, req.NamespacedName, src)); err != nil {
			return ctrl.Result{}, fmt.Errorf("read credential secret %s: %w", req.NamespacedName, err)
		}
	}
	if !used { // no Route names it, or it is gone
		if !exists {
			return ctrl.Result{}, nil
		}
		if err := r.Client.Delete(ctx, mirror); err != nil && !apierrors.IsNotFound(err) {
			return ctrl.Result{}, fmt.Errorf("delete credentials mirror %s: %w", key.Name, err)
		}
		return ctrl.Result{}, nil
	}
	if !exists {
		if full, err := r.namespaceFull(ctx, key.Name, req.Namespace); err != nil || full {
			if full {
				log.FromContext(ctx).Info("namespace has as many mirrored credential secrets as allowed; this one is not mirrored yet", "secret", req.NamespacedName, "max", resolve.MaxSecretsPerNamespace)
			}
			return ctrl.Result{RequeueAfter: retryFull}, err
		}
	}
	clients, empty := resolve.HashedClients(src)
	if len(empty) > 0 {
		log.FromContext(ctx).Info("credential secret has clients without a secret; they are left out", "secret", req.NamespacedName, "clients", empty)
	}
	clients, dropped := resolve.FirstClients(clients, resolve.MaxClientsPerSecret)
	if len(dropped) > 0 {
		log.FromContext(ctx).Info("credential secret has more clients than are mirrored; the last by ID are left out", "secret", req.NamespacedName, "max", resolve.MaxClientsPerSecret, "leftOut", len(dropped))
	}
	return ctrl.Result{}, r.write(ctx, key, mirror, exists, req.NamespacedName, clients, len(dropped))
}

// found turns a Get's error into whether the object was found; only an
// error other than NotFound is returned.
func found(err error) (bool, error) {
	if apierrors.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// namespaceFull reports whether ns has resolve.MaxSecretsPerNamespace
// mirrors other than the one named mirror. The mirrors are counted in the
// API server's list, not the cache, which may not show the last one
// created.
func (r *Reconciler) namespaceFull(ctx context.Context, mirror, ns string) (bool, error) {
	mirrors := &corev1.SecretList{}
	if err := r.Reader.List(ctx, mirrors, client.InNamespace(r.SystemNamespace), client.MatchingLabelsSelector{Selector: labelsMirror}); err != nil {
		return false, fmt.Errorf("list credentials mirrors: %w", err)
	}
	n := 0
	for _, m := range mirrors.Items {
		if m.Name == mirror {
			return false, nil
		}
		if m.Annotations[AnnotationNamespace] == ns {
			n++
		}
	}
	return n >= resolve.MaxSecretsPerNamespace, nil
}

// named reports whether a Route names the Secret key.
func (r *Reconciler) named(ctx context.Context, key types.NamespacedName) (bool, error) {
	routes := &servingv1alpha1.RouteList{}
	if err := r.Client.List(ctx, routes, client.InNamespace(key.Namespace), client.MatchingFields{resolve.IndexCredentialSecrets: key.Name}); err != nil {
		return false, fmt.Errorf("list routes naming secret %s: %w", key, err)
	}
	return len(routes.Items) > 0, nil
}

// write creates the mirror key with clients, or updates current (the
// mirror as cached, when exists) where it differs. A mirror that leaves
// dropped clients out says how many in an annotation, for the Route
// reconciler to report.
func (r *Reconciler) write(ctx context.Context, key types.NamespacedName, current *corev1.Secret, exists bool, src types.NamespacedName, clients map[string][]byte, dropped int) error {
	labels := map[string]string{LabelMirror: servingv1alpha1.CredentialsMirrorLabelValue}
	annotations := map[string]string{AnnotationNamespace: src.Namespace, AnnotationName: src.Name}
	if dropped > 0 {
		annotations[servingv1alpha1.CredentialsClientsDroppedAnnotationKey] = strconv.Itoa(dropped)
	}
	if !exists {
		want := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name, Labels: labels, Annotations: annotations},
			Type:       corev1.SecretTypeOpaque,
			Data:       clients,
		}
		if err := r.Client.Create(ctx, want); err != nil {
			return fmt.Errorf("create credentials mirror %s: %w", key.Name, err)
		}
		return nil
	}
	if maps.EqualFunc(current.Data, clients, bytes.Equal) && maps.Equal(current.Labels, labels) && maps.Equal(current.Annotations, annotations) {
		return nil
	}
	current.Labels, current.Annotations, current.Data = labels, annotations, clients
	if err := r.Client.Update(ctx, current); err != nil {
		return fmt.Errorf("update credentials mirror %s: %w", key.Name, err)
	}
	return nil
}
