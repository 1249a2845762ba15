package resources

import (
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/kmeta"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/names"
)

// DefaultContainerName is the name of a serving container that sets none.
const DefaultContainerName = "function"

// PortEnvName is the environment variable that tells the container which port
// to listen on, unless the user sets it.
const PortEnvName = "PORT"

// minTerminationGracePeriodSeconds is Kubernetes' own default grace period;
// a short request timeout does not shorten it.
const minTerminationGracePeriodSeconds = 30

// MakeDeployment returns the Deployment that runs rev. Its replicas are the
// revision's initial scale: the reconciler writes them only when it creates
// the Deployment, and the autoscaler owns them from then on. The Deployment
// carries servingv1alpha1.SpecHashAnnotationKey, a hash of everything else it sets.
func MakeDeployment(rev *servingv1alpha1.Revision, cfg *config.Config) *appsv1.Deployment {
	labels := makeLabels(rev)
	annotations := makeAnnotations(rev)
	d := &appsv1.Deployment{
		TypeMeta: metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: metav1.ObjectMeta{
			Name:            names.Deployment(rev.Name),
			Namespace:       rev.Namespace,
			Labels:          labels,
			Annotations:     annotations,
			OwnerReferences: []metav1.OwnerReference{ownerRef(rev)},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(InitialScale(rev, cfg)),
			Selector: &metav1.LabelSelector{MatchLabels: makeSelector(rev)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{
					Labels:      makeLabels(rev),
					Annotations: makeAnnotations(rev),
				},
				Spec: makePodSpec(rev),
			},
		},
	}
	if d.Annotations == nil {
		d.Annotations = map[string]string{}
	}
	d.Annotations[servingv1alpha1.SpecHashAnnotationKey] = DeploymentHash(d)
	return d
}

// InitialScale returns the number of pods rev starts with: its
// scaling.initialScale, else the cluster default.
func InitialScale(rev *servingv1alpha1.Revision, cfg *config.Config) int32 {
	if s := rev.Spec.Scaling; s != nil && s.InitialScale != nil {
		return *s.InitialScale
	}
	return cfg.Autoscaler.InitialScale
}

// ContainerName returns the name of rev's serving container in its pods.
func ContainerName(rev *servingv1alpha1.Revision) string {
	if c := rev.Spec.ServingContainer(); c != nil && c.Name != "" {
		return c.Name
	}
	return DefaultContainerName
}

// ownerRef makes rev the controller of a child.
func ownerRef(rev *servingv1alpha1.Revision) metav1.OwnerReference {
	return *kmeta.NewControllerRef(rev)
}

// makePodSpec returns the pod spec of rev's pods: the serving container
// alone, with the revision's volumes, identity and pull secrets.
func makePodSpec(rev *servingv1alpha1.Revision) corev1.PodSpec {
	spec := &rev.Spec
	pod := corev1.PodSpec{
		ServiceAccountName: spec.ServiceAccountName,
		// Service links would put an environment variable per Service of
		// the namespace into the container; functions do not need them.
		EnableServiceLinks: ptr.To(false),
		// Let requests in flight finish after SIGTERM.
		TerminationGracePeriodSeconds: ptr.To(int64(max(spec.Timeout(), minTerminationGracePeriodSeconds))),
	}
	if c := spec.ServingContainer(); c != nil {
		pod.Containers = []corev1.Container{makeContainer(rev, c)}
	}
	for _, v := range spec.Volumes {
		pod.Volumes = append(pod.Volumes, makeVolume(v))
	}
	for _, s := range spec.ImagePullSecrets {
		pod.ImagePullSecrets = append(pod.ImagePullSecrets, *s.DeepCopy())
	}
	return pod
}

// makeContainer returns the serving container: the user's settings, the
// named serving port, PORT in its environment and default probes.
func makeContainer(rev *servingv1alpha1.Revision, c *servingv1alpha1.Container) corev1.Container {
	port := c.ServingPort()
	out := corev1.Container{
		Name:            ContainerName(rev),
		Image:           c.Image,
		ImagePullPolicy: c.ImagePullPolicy,
		Command:         append([]string(nil), c.Command...),
		Args:            append([]string(nil), c.Args...),
		WorkingDir:      c.WorkingDir,
		Ports: []corev1.ContainerPort{{
			Name:          PortName(c),
			ContainerPort: port,
			Protocol:      corev1.ProtocolTCP,
		}},
		Env:             makeEnv(c, port),
		Resources:       makeResources(c.Resources),
		ReadinessProbe:  readinessProbe(c.ReadinessProbe, port),
		LivenessProbe:   livenessProbe(c.LivenessProbe, port),
		SecurityContext: c.SecurityContext.DeepCopy(),
		// The end of the log explains a crash when the program wrote no
		// termination message; the revision's status shows it.
		TerminationMessagePolicy: corev1.TerminationMessageFallbackToLogsOnError,
	}
	for _, e := range c.EnvFrom {
		out.EnvFrom = append(out.EnvFrom, *e.DeepCopy())
	}
	out.VolumeMounts = makeVolumeMounts(c.VolumeMounts)
	return out
}

// makeEnv returns PORT followed by the user's variables. PORT comes first so
// that the user's values may refer to $(PORT); it is left out when the user
// sets it.
func makeEnv(c *servingv1alpha1.Container, port int32) []corev1.EnvVar {
	env := make([]corev1.EnvVar, 0, len(c.Env)+1)
	userSetsPort := false
	for _, e := range c.Env {
		if e.Name == PortEnvName {
			userSetsPort = true
		}
	}
	if !userSetsPort {
		env = append(env, corev1.EnvVar{Name: PortEnvName, Value: strconv.Itoa(int(port))})
	}
	for _, e := range c.Env {
		env = append(env, makeEnvVar(e))
	}
	return env
}
