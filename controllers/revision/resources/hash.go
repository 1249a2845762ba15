package resources

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"maps"

	appsv1 "k8s.io/api/apps/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// DeploymentHash returns a hash of what Wake sets on d: labels, annotations
// (except the hash itself) and the spec without replicas, which the
// autoscaler owns. MakeDeployment records it under
// servingv1alpha1.SpecHashAnnotationKey, so server defaults never cause an
// update.
func DeploymentHash(d *appsv1.Deployment) string {
	spec := d.Spec.DeepCopy()
	spec.Replicas = nil
	annotations := maps.Clone(d.Annotations)
	delete(annotations, servingv1alpha1.SpecHashAnnotationKey)
	data, err := json.Marshal(struct {
		Labels      map[string]string      `json:"labels,omitempty"`
		Annotations map[string]string      `json:"annotations,omitempty"`
		Spec        *appsv1.DeploymentSpec `json:"spec"`
	}{d.Labels, annotations, spec})
	if err != nil {
		// A Deployment always marshals; nothing here can fail.
		panic(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:16])
}
