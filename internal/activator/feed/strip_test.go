package feed

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
)

// TestStrippedObjectsRouteTheSame: what the activator reads from a
// Function and a Revision is the same after they are stripped for its
// cache, and the rest is gone.
func TestStrippedObjectsRouteTheSame(t *testing.T) {
	fn := fixture.Function("ns", "hello", fixture.WithFunctionReady(), fixture.WithLatestReady("hello-00002"))
	rev := fixture.Revision("ns", "hello-00002", fixture.WithRevisionReady(), fixture.WithFunctionLabel("hello"))
	rev.Spec.TimeoutSeconds, rev.Spec.ContainerConcurrency = 30, 4
	c := &rev.Spec.Containers[0]
	c.Env = []servingv1alpha1.EnvVar{{Name: "GREETING", Value: "hi"}}
	c.Port = &servingv1alpha1.ServingPort{ContainerPort: 9000, Protocol: servingv1alpha1.ProtocolH2C}
	c.ReadinessProbe = &servingv1alpha1.Probe{ProbeHandler: servingv1alpha1.ProbeHandler{
		HTTPGet: &servingv1alpha1.HTTPGetAction{Path: "/ready", Port: ptr.To(intstr.FromInt32(9001))},
	}}

	sfn, srev := stripped(t, stripFunction, fn), stripped(t, stripRevision, rev)
	want := BuildInput("example.com", []servingv1alpha1.Function{*fn}, []servingv1alpha1.Revision{*rev}, nil, nil)
	got := BuildInput("example.com", []servingv1alpha1.Function{*sfn}, []servingv1alpha1.Revision{*srev}, nil, nil)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BuildInput of the stripped objects (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(RevisionConfig(rev), RevisionConfig(srev)); diff != "" {
		t.Errorf("RevisionConfig of the stripped revision (-want +got):\n%s", diff)
	}
	if len(sfn.Status.Conditions) != 0 || len(sfn.Spec.Template.Spec.Containers) != 0 {
		t.Errorf("stripped Function kept its conditions or template: %+v", sfn)
	}
	if sc := srev.Spec.Containers[0]; sc.Image != "" || len(sc.Env) != 0 || len(srev.Status.Conditions) != 0 {
		t.Errorf("stripped Revision kept its image, environment or conditions: %+v", srev)
	}
	rt := fixture.Route("ns", "api")
	rt.Status.Usage = &servingv1alpha1.RouteUsage{Days: []servingv1alpha1.UsageDay{{Date: "2026-12-02"}}}
	if srt := stripped(t, stripRoute, rt); srt.Status.Usage != nil {
		t.Errorf("stripped Route kept its usage: %+v", srt.Status.Usage)
	}
	if _, err := stripService(&corev1.Pod{}); err != nil {
		t.Errorf("stripService of another kind: %v", err)
	}
}

// stripped applies a transform and fails the test when it returns another
// kind.
func stripped[T any](t *testing.T, strip func(any) (any, error), obj *T) *T {
	t.Helper()
	o, err := strip(obj)
	if err != nil {
		t.Fatal(err)
	}
	out, ok := o.(*T)
	if !ok {
		t.Fatalf("strip returned %T", o)
	}
	return out
}
