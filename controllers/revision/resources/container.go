package resources

import (
	corev1 "k8s.io/api/core/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// The API's container and volume types have the JSON shape of their corev1
// namesakes and only add validation; these functions copy them field by
// field. A nil or empty input gives a nil output, as corev1 would hold it.

// makeEnvVar returns e as a corev1.EnvVar.
func makeEnvVar(e servingv1alpha1.EnvVar) corev1.EnvVar {
	return corev1.EnvVar{Name: e.Name, Value: e.Value, ValueFrom: e.ValueFrom.DeepCopy()}
}

// makeResources returns r as corev1.ResourceRequirements.
func makeResources(r servingv1alpha1.ResourceRequirements) corev1.ResourceRequirements {
	return corev1.ResourceRequirements{Limits: r.Limits.DeepCopy(), Requests: r.Requests.DeepCopy()}
}

// makeVolumeMounts returns ms as corev1.VolumeMounts.
func makeVolumeMounts(ms []servingv1alpha1.VolumeMount) []corev1.VolumeMount {
	if len(ms) == 0 {
		return nil
	}
	out := make([]corev1.VolumeMount, 0, len(ms))
	for _, m := range ms {
		out = append(out, corev1.VolumeMount{
			Name:              m.Name,
			ReadOnly:          m.ReadOnly,
			RecursiveReadOnly: copyPtr(m.RecursiveReadOnly),
			MountPath:         m.MountPath,
			SubPath:           m.SubPath,
			MountPropagation:  copyPtr(m.MountPropagation),
			SubPathExpr:       m.SubPathExpr,
		})
	}
	return out
}

// makeVolume returns v as a corev1.Volume.
func makeVolume(v servingv1alpha1.Volume) corev1.Volume {
	out := corev1.Volume{Name: v.Name}
	if c := v.ConfigMap; c != nil {
		out.ConfigMap = &corev1.ConfigMapVolumeSource{
			LocalObjectReference: corev1.LocalObjectReference{Name: c.Name},
			Items:                makeKeyToPaths(c.Items),
			DefaultMode:          copyPtr(c.DefaultMode),
			Optional:             copyPtr(c.Optional),
		}
	}
	if s := v.Secret; s != nil {
		out.Secret = &corev1.SecretVolumeSource{
			SecretName:  s.SecretName,
			Items:       makeKeyToPaths(s.Items),
			DefaultMode: copyPtr(s.DefaultMode),
			Optional:    copyPtr(s.Optional),
		}
	}
	return out
}

// makeKeyToPaths returns items as corev1.KeyToPaths.
func makeKeyToPaths(items []servingv1alpha1.KeyToPath) []corev1.KeyToPath {
	if len(items) == 0 {
		return nil
	}
	out := make([]corev1.KeyToPath, 0, len(items))
	for _, i := range items {
		out = append(out, corev1.KeyToPath{Key: i.Key, Path: i.Path, Mode: copyPtr(i.Mode)})
	}
	return out
}

// copyPtr returns a pointer to a copy of *p, or nil when p is nil.
func copyPtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}
