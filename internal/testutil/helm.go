package testutil

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// What Helm and the chart charts/wake add to the objects of a release: the
// chart's labels (its templates/_helpers.tpl), crds.keep's annotation, and
// Helm's ownership annotations.
var (
	HelmLabels      = []string{"app.kubernetes.io/managed-by", "app.kubernetes.io/instance", "helm.sh/chart"}
	HelmAnnotations = []string{"meta.helm.sh/release-name", "meta.helm.sh/release-namespace", "helm.sh/resource-policy"}
)

// HelmRecords selects the records of a Helm release (Helm keeps them as
// Secrets in the release's namespace).
func HelmRecords(release string) client.MatchingLabels {
	return client.MatchingLabels{"owner": "helm", "name": release}
}

// ReleaseFromHelm gives objs, which the Helm release took over from whoever
// applied them (helm --take-ownership), back to them: it removes from each
// object, as it is in the cluster, the labels and annotations Helm and the
// chart added, and deletes the release's records in namespace. No object
// is deleted; objects already gone are skipped.
func ReleaseFromHelm(ctx context.Context, c client.Client, namespace, release string, objs []*unstructured.Unstructured) error {
	labels, annotations := map[string]any{}, map[string]any{}
	for _, k := range HelmLabels {
		labels[k] = nil
	}
	for _, k := range HelmAnnotations {
		annotations[k] = nil
	}
	patch, err := json.Marshal(map[string]any{"metadata": map[string]any{"labels": labels, "annotations": annotations}})
	if err != nil {
		return err
	}
	var errs []error
	for _, o := range objs {
		err := c.Patch(ctx, o.DeepCopy(), client.RawPatch(types.MergePatchType, patch))
		if err != nil && !apierrors.IsNotFound(err) {
			errs = append(errs, fmt.Errorf("%s %s: %w", o.GetKind(), o.GetName(), err))
		}
	}
	if err := c.DeleteAllOf(ctx, &corev1.Secret{}, client.InNamespace(namespace), HelmRecords(release)); err != nil {
		errs = append(errs, fmt.Errorf("delete the records of release %s: %w", release, err))
	}
	return errors.Join(errs...)
}
