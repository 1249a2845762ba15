package resources

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/golden"
)

// revision returns a minimal Revision as the Function reconciler creates
// it, changed by opts.
func revision(opts ...fixture.RevisionOption) *servingv1alpha1.Revision {
	return fixture.Revision("team-a", "hello-00001", append([]fixture.RevisionOption{
		fixture.WithRevisionUID("6f1d5a3e-0000-4000-8000-000000000001"),
		fixture.WithFunctionLabel("hello"),
		fixture.WithRevisionLabel("serving.wake.dev/functionGeneration", "1"),
	}, opts...)...)
}

// fullRevision sets every field the builders copy.
func fullRevision(rev *servingv1alpha1.Revision) {
	rev.Labels["app"] = "hello"
	rev.Annotations = map[string]string{
		"team.example/owner":  "payments",
		lastAppliedAnnotation: `{"kind":"Revision"}`,
	}
	rev.Spec = servingv1alpha1.RevisionSpec{
		Containers: []servingv1alpha1.Container{{
			Name:            "grpc",
			Image:           "registry.example/hello@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
			ImagePullPolicy: corev1.PullIfNotPresent,
			Command:         []string{"/hello"},
			Args:            []string{"--listen=:$(PORT)"},
			WorkingDir:      "/srv",
			Port:            &servingv1alpha1.ServingPort{ContainerPort: 9090, Protocol: servingv1alpha1.ProtocolH2C},
			Env:             []servingv1alpha1.EnvVar{{Name: "GREETING", Value: "hi"}},
			EnvFrom: []corev1.EnvFromSource{{
				SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "creds"}},
			}},
			Resources: servingv1alpha1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
				Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
			},
			ReadinessProbe: &servingv1alpha1.Probe{
				ProbeHandler:  servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{Path: "/ready"}},
				PeriodSeconds: 2,
			},
			LivenessProbe: &servingv1alpha1.Probe{PeriodSeconds: 10},
			VolumeMounts: []servingv1alpha1.VolumeMount{
				{Name: "settings", MountPath: "/etc/hello"},
				{Name: "tls", MountPath: "/etc/tls", ReadOnly: true},
			},
			SecurityContext: &corev1.SecurityContext{RunAsNonRoot: ptr.To(true), ReadOnlyRootFilesystem: ptr.To(true)},
		}},
		Volumes: []servingv1alpha1.Volume{
			{Name: "settings", ConfigMap: &servingv1alpha1.ConfigMapVolumeSource{Name: "hello-settings"}},
			{Name: "tls", Secret: &servingv1alpha1.SecretVolumeSource{SecretName: "hello-tls"}},
		},
		ServiceAccountName:   "hello",
		ImagePullSecrets:     []corev1.LocalObjectReference{{Name: "registry"}},
		ContainerConcurrency: 10,
		TimeoutSeconds:       900,
		Scaling:              &servingv1alpha1.Scaling{InitialScale: ptr.To[int32](3), MinScale: ptr.To[int32](1)},
	}
}

func TestGolden(t *testing.T) {
	zeroInitial := config.Default()
	zeroInitial.Autoscaler.InitialScale = 0
	tests := []struct {
		name string
		rev  *servingv1alpha1.Revision
		cfg  *config.Config
	}{
		{name: "minimal", rev: revision(), cfg: config.Default()},
		{name: "full", rev: revision(fullRevision), cfg: config.Default()},
		{name: "cluster-initial-scale-zero", rev: revision(), cfg: zeroInitial},
		{name: "user-port-env-and-probe", rev: revision(func(r *servingv1alpha1.Revision) {
			c := &r.Spec.Containers[0]
			c.Name = "web"
			c.Port = &servingv1alpha1.ServingPort{ContainerPort: 3000}
			c.Env = []servingv1alpha1.EnvVar{{Name: "PORT", Value: "3000"}}
			c.ReadinessProbe = &servingv1alpha1.Probe{
				ProbeHandler: servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{Path: "/healthz", Port: ptr.To(intstr.FromString("http1"))}},
			}
			c.LivenessProbe = &servingv1alpha1.Probe{ProbeHandler: servingv1alpha1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}}
			r.Spec.TimeoutSeconds = 5
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.cfg == nil {
				tt.cfg = config.Default()
			}
			before := tt.rev.DeepCopy()
			golden.AssertYAML(t, tt.name+".yaml", MakeDeployment(tt.rev, tt.cfg), MakeService(tt.rev))
			if !equality.Semantic.DeepEqual(before, tt.rev) {
				t.Errorf("the builders modified the Revision: %s", cmp.Diff(before, tt.rev))
			}
		})
	}
}

func TestMakeDeploymentIsDeterministic(t *testing.T) {
	rev := revision(fullRevision)
	a, b := MakeDeployment(rev, config.Default()), MakeDeployment(rev, config.Default())
	if !equality.Semantic.DeepEqual(a, b) {
		t.Errorf("two builds differ: %s", cmp.Diff(a, b))
	}
	// The output shares no memory with the input.
	a.Spec.Template.Spec.Containers[0].Env[1].Value = "changed"
	a.Spec.Template.Labels["app"] = "changed"
	if rev.Spec.Containers[0].Env[0].Value != "hi" || rev.Labels["app"] != "hello" {
		t.Error("changing the Deployment changed the Revision")
	}
}

func TestDeploymentHash(t *testing.T) {
	base := MakeDeployment(revision(), config.Default())

	scaled := base.DeepCopy()
	scaled.Spec.Replicas = ptr.To[int32](7)
	if DeploymentHash(scaled) != DeploymentHash(base) {
		t.Error("the hash depends on replicas, which the autoscaler owns")
	}
	if got := base.Annotations[servingv1alpha1.SpecHashAnnotationKey]; got != DeploymentHash(base) {
		t.Errorf("annotation %q = %q, want %q", servingv1alpha1.SpecHashAnnotationKey, got, DeploymentHash(base))
	}

	newImage := MakeDeployment(revision(fixture.WithRevisionImage("registry.example/hello:v2")), config.Default())
	newLabel := MakeDeployment(revision(fixture.WithRevisionLabel("app", "x")), config.Default())
	for name, d := range map[string]string{"image": DeploymentHash(newImage), "label": DeploymentHash(newLabel)} {
		if d == DeploymentHash(base) {
			t.Errorf("changing the %s does not change the hash", name)
		}
	}
}

func TestInitialScale(t *testing.T) {
	cfg := config.Default()
	cfg.Autoscaler.InitialScale = 2
	tests := []struct {
		name string
		rev  *servingv1alpha1.Revision
		want int32
	}{
		{"cluster default", revision(), 2},
		{"scaling without initialScale", revision(func(r *servingv1alpha1.Revision) {
			r.Spec.Scaling = &servingv1alpha1.Scaling{MinScale: ptr.To[int32](1)}
		}), 2},
		{"explicit zero", revision(fixture.WithInitialScale(0)), 0},
		{"explicit five", revision(fixture.WithInitialScale(5)), 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := InitialScale(tt.rev, cfg); got != tt.want {
				t.Errorf("InitialScale = %d, want %d", got, tt.want)
			}
			if got := *MakeDeployment(tt.rev, cfg).Spec.Replicas; got != tt.want {
				t.Errorf("Deployment replicas = %d, want %d", got, tt.want)
			}
		})
	}
}
