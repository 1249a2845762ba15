package resources

import (
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// TestConversionsKeepTheJSON converts values that set every field: the API
// types have the JSON shape of their corev1 namesakes, so a conversion that
// copies every field gives the same JSON.
func TestConversionsKeepTheJSON(t *testing.T) {
	tests := []struct {
		name    string
		in, out any
	}{
		{"env value", servingv1alpha1.EnvVar{Name: "A", Value: "1"},
			makeEnvVar(servingv1alpha1.EnvVar{Name: "A", Value: "1"})},
		{"env valueFrom", envFrom(), makeEnvVar(envFrom())},
		{"no resources", servingv1alpha1.ResourceRequirements{}, makeResources(servingv1alpha1.ResourceRequirements{})},
		{"resources", resources(), makeResources(resources())},
		{"no mounts", []servingv1alpha1.VolumeMount(nil), makeVolumeMounts(nil)},
		{"mounts", mounts(), makeVolumeMounts(mounts())},
		{"configMap volume", configMapVolume(), makeVolume(configMapVolume())},
		{"secret volume", secretVolume(), makeVolume(secretVolume())},
		{"probe with every port", fullProbe(), aimProbe(fullProbe(), 8080)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			out, err := json.Marshal(tt.out)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(string(in), string(out)); diff != "" {
				t.Errorf("JSON differs (-api +corev1):\n%s", diff)
			}
		})
	}
}

// TestConversionsCopy checks that the converted values share no memory
// with the Revision.
func TestConversionsCopy(t *testing.T) {
	e := envFrom()
	makeEnvVar(e).ValueFrom.FieldRef.FieldPath = "changed"
	r := resources()
	makeResources(r).Limits[corev1.ResourceCPU] = resource.MustParse("9")
	ms := mounts()
	*makeVolumeMounts(ms)[0].MountPropagation = corev1.MountPropagationBidirectional
	v := configMapVolume()
	*makeVolume(v).ConfigMap.Items[0].Mode = 0o777
	p := fullProbe()
	aimProbe(p, 8080).HTTPGet.HTTPHeaders[0].Value = "changed"

	switch {
	case e.ValueFrom.FieldRef.FieldPath != "metadata.name":
		t.Error("changing the env var changed the Revision")
	case r.Limits.Cpu().String() != "1":
		t.Error("changing the resources changed the Revision")
	case *ms[0].MountPropagation != corev1.MountPropagationHostToContainer:
		t.Error("changing the mount changed the Revision")
	case *v.ConfigMap.Items[0].Mode != 0o400:
		t.Error("changing the volume changed the Revision")
	case p.HTTPGet.HTTPHeaders[0].Value != "1":
		t.Error("changing the probe changed the Revision")
	}
}

func TestAimProbe(t *testing.T) {
	const serving = 9090
	onServingPort := intstr.FromInt32(serving)
	tests := []struct {
		name  string
		probe servingv1alpha1.Probe
		want  corev1.ProbeHandler
	}{
		{"no handler: TCP on the serving port", servingv1alpha1.Probe{},
			corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: onServingPort}}},
		{"httpGet without a port", probe(servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{Path: "/ready"}}),
			corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/ready", Port: onServingPort}}},
		{"httpGet on port 0", probe(servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{Port: ptr.To(intstr.FromInt32(0))}}),
			corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: onServingPort}}},
		{"httpGet on a named port", probe(servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{Port: ptr.To(intstr.FromString("h2c"))}}),
			corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromString("h2c")}}},
		{"httpGet on another port", probe(servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{Port: ptr.To(intstr.FromInt32(9100))}}),
			corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Port: intstr.FromInt32(9100)}}},
		{"tcpSocket without a port", probe(servingv1alpha1.ProbeHandler{TCPSocket: &servingv1alpha1.TCPSocketAction{Host: "localhost"}}),
			corev1.ProbeHandler{TCPSocket: &corev1.TCPSocketAction{Port: onServingPort, Host: "localhost"}}},
		{"grpc without a port", probe(servingv1alpha1.ProbeHandler{GRPC: &servingv1alpha1.GRPCAction{Service: ptr.To("health")}}),
			corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: serving, Service: ptr.To("health")}}},
		{"grpc on port 0", probe(servingv1alpha1.ProbeHandler{GRPC: &servingv1alpha1.GRPCAction{Port: ptr.To[int32](0)}}),
			corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: serving}}},
		{"grpc on another port", probe(servingv1alpha1.ProbeHandler{GRPC: &servingv1alpha1.GRPCAction{Port: ptr.To[int32](9100)}}),
			corev1.ProbeHandler{GRPC: &corev1.GRPCAction{Port: 9100}}},
		{"exec", probe(servingv1alpha1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}),
			corev1.ProbeHandler{Exec: &corev1.ExecAction{Command: []string{"true"}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.probe.PeriodSeconds = 3
			got := aimProbe(&tt.probe, serving)
			want := &corev1.Probe{ProbeHandler: tt.want, PeriodSeconds: 3}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("aimProbe (-want +got):\n%s", diff)
			}
		})
	}
}

func probe(h servingv1alpha1.ProbeHandler) servingv1alpha1.Probe {
	return servingv1alpha1.Probe{ProbeHandler: h}
}

func envFrom() servingv1alpha1.EnvVar {
	return servingv1alpha1.EnvVar{Name: "POD", ValueFrom: &corev1.EnvVarSource{
		FieldRef: &corev1.ObjectFieldSelector{APIVersion: "v1", FieldPath: "metadata.name"},
	}}
}

func resources() servingv1alpha1.ResourceRequirements {
	return servingv1alpha1.ResourceRequirements{
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("128Mi")},
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")},
	}
}

func mounts() []servingv1alpha1.VolumeMount {
	return []servingv1alpha1.VolumeMount{{
		Name: "a", ReadOnly: true, MountPath: "/a", SubPath: "sub",
		MountPropagation: ptr.To(corev1.MountPropagationHostToContainer),
	}, {
		Name: "b", ReadOnly: true, MountPath: "/b", SubPathExpr: "$(POD)",
		RecursiveReadOnly: ptr.To(corev1.RecursiveReadOnlyIfPossible),
	}}
}

func configMapVolume() servingv1alpha1.Volume {
	return servingv1alpha1.Volume{Name: "settings", ConfigMap: &servingv1alpha1.ConfigMapVolumeSource{
		Name:        "settings",
		Items:       []servingv1alpha1.KeyToPath{{Key: "a", Path: "conf/a", Mode: ptr.To[int32](0o400)}, {Key: "b", Path: "b"}},
		DefaultMode: ptr.To[int32](0o644),
		Optional:    ptr.To(true),
	}}
}

func secretVolume() servingv1alpha1.Volume {
	return servingv1alpha1.Volume{Name: "tls", Secret: &servingv1alpha1.SecretVolumeSource{
		SecretName:  "tls",
		Items:       []servingv1alpha1.KeyToPath{{Key: "tls.crt", Path: "tls.crt"}},
		DefaultMode: ptr.To[int32](0o600),
		Optional:    ptr.To(false),
	}}
}

// fullProbe sets every field of a probe with an HTTP handler.
func fullProbe() *servingv1alpha1.Probe {
	return &servingv1alpha1.Probe{
		ProbeHandler: servingv1alpha1.ProbeHandler{HTTPGet: &servingv1alpha1.HTTPGetAction{
			Path: "/ready", Port: ptr.To(intstr.FromInt32(9000)), Host: "localhost", Scheme: corev1.URISchemeHTTPS,
			HTTPHeaders: []corev1.HTTPHeader{{Name: "X-Probe", Value: "1"}},
		}},
		InitialDelaySeconds: 1, TimeoutSeconds: 2, PeriodSeconds: 3, SuccessThreshold: 1, FailureThreshold: 5,
		TerminationGracePeriodSeconds: ptr.To[int64](7),
	}
}
