package kube

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/config"
)

func TestDeciderSpec(t *testing.T) {
	defaults := config.Default().Autoscaler
	custom := defaults
	custom.MinScale, custom.MaxScale, custom.InitialScale = 1, 20, 2
	custom.ContainerConcurrencyTargetDefault = 50
	custom.TargetUtilizationPercentage = 80
	custom.StableWindow = 2 * time.Minute
	custom.PanicWindowPercentage = 5
	custom.PanicThresholdPercentage = 300
	custom.ScaleToZeroGracePeriod = time.Minute
	custom.ScaleDownDelay = 15 * time.Second
	custom.MaxScaleUpRate, custom.MaxScaleDownRate = 10, 4

	tests := []struct {
		name    string
		cc      int32
		scaling *servingv1alpha1.Scaling
		cfg     config.Autoscaler
		want    func(*decider.Spec) // applied to decider.Defaults()
		wantPod float64             // Spec.TargetPerPod()
	}{
		{
			name:    "nothing set: Knative's defaults, 100 × 70%",
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.Target = 70 },
			wantPod: 70,
		},
		{
			name:    "nothing set: every field from the cluster",
			cfg:     custom,
			want:    func(s *decider.Spec) { *s = clusterSpec(custom) },
			wantPod: 40, // 50 × 80%
		},
		{
			name: "every field set: the revision wins",
			cc:   10,
			scaling: &servingv1alpha1.Scaling{
				MinScale: ptr.To[int32](2), MaxScale: ptr.To[int32](9), InitialScale: ptr.To[int32](3),
				Target: ptr.To[int32](6), TargetUtilizationPercentage: ptr.To[int32](50),
				StableWindow: &metav1.Duration{Duration: 30 * time.Second}, PanicWindowPercentage: ptr.To[int32](20),
				PanicThresholdPercentage: ptr.To[int32](150),
				ScaleToZeroGracePeriod:   &metav1.Duration{Duration: 10 * time.Second},
				ScaleDownDelay:           &metav1.Duration{Duration: 5 * time.Second},
			},
			cfg: custom,
			want: func(s *decider.Spec) {
				s.MinScale, s.MaxScale, s.InitialScale, s.ContainerConcurrency = 2, 9, 3, 10
				s.Target, s.TargetUtilizationPercentage = 6, 50
				s.StableWindow, s.PanicWindowPercentage, s.PanicThresholdPercentage = 30*time.Second, 20, 150
				s.ScaleToZeroGracePeriod, s.ScaleDownDelay = 10*time.Second, 5*time.Second
				s.MaxScaleUpRate, s.MaxScaleDownRate = 10, 4 // cluster-only settings
			},
			wantPod: 6,
		},
		{
			name:    "target: containerConcurrency × utilization",
			cc:      10,
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.ContainerConcurrency, s.Target = 10, 7 },
			wantPod: 7,
		},
		{
			name:    "target: containerConcurrency × the revision's utilization",
			cc:      10,
			scaling: &servingv1alpha1.Scaling{TargetUtilizationPercentage: ptr.To[int32](100)},
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.ContainerConcurrency, s.Target, s.TargetUtilizationPercentage = 10, 10, 100 },
			wantPod: 10,
		},
		{
			name:    "target: unlimited uses the cluster's concurrency target default",
			cfg:     withTargetDefault(defaults, 50),
			want:    func(s *decider.Spec) { s.Target = 35 },
			wantPod: 35,
		},
		{
			name:    "target: explicit wins over containerConcurrency × utilization",
			cc:      10,
			scaling: &servingv1alpha1.Scaling{Target: ptr.To[int32](3)},
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.ContainerConcurrency, s.Target = 10, 3 },
			wantPod: 3,
		},
		{
			name:    "target: explicit above containerConcurrency is capped by the decider",
			cc:      10,
			scaling: &servingv1alpha1.Scaling{Target: ptr.To[int32](50)},
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.ContainerConcurrency, s.Target = 10, 50 },
			wantPod: 10,
		},
		{
			name:    "explicit minScale above the default maxScale raises it",
			scaling: &servingv1alpha1.Scaling{MinScale: ptr.To[int32](30)},
			cfg:     custom,
			want: func(s *decider.Spec) {
				*s = clusterSpec(custom)
				s.MinScale, s.MaxScale = 30, 30
			},
			wantPod: 40,
		},
		{
			name:    "explicit maxScale below the default minScale lowers it",
			scaling: &servingv1alpha1.Scaling{MaxScale: ptr.To[int32](3)},
			cfg:     withMin(custom, 5),
			want: func(s *decider.Spec) {
				*s = clusterSpec(custom)
				s.MinScale, s.MaxScale = 3, 3
			},
			wantPod: 40,
		},
		{
			name:    "maxScale 0 is no limit, whatever minScale",
			scaling: &servingv1alpha1.Scaling{MinScale: ptr.To[int32](30), MaxScale: ptr.To[int32](0)},
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.MinScale, s.Target = 30, 70 },
			wantPod: 70,
		},
		{
			name:    "initialScale 0 is kept (the decider wakes to at least 1)",
			scaling: &servingv1alpha1.Scaling{InitialScale: ptr.To[int32](0)},
			cfg:     defaults,
			want:    func(s *decider.Spec) { s.InitialScale, s.Target = 0, 70 },
			wantPod: 70,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rev := &servingv1alpha1.Revision{Spec: servingv1alpha1.RevisionSpec{ContainerConcurrency: tc.cc, Scaling: tc.scaling}}
			want := decider.Defaults()
			tc.want(&want)
			got := DeciderSpec(rev, tc.cfg)
			if got != want {
				t.Errorf("DeciderSpec() =\n  %+v\nwant\n  %+v", got, want)
			}
			if err := got.Validate(); err != nil {
				t.Errorf("DeciderSpec() is invalid: %v", err)
			}
			if pod := got.TargetPerPod(); pod != tc.wantPod {
				t.Errorf("TargetPerPod() = %v, want %v", pod, tc.wantPod)
			}
		})
	}
}

// clusterSpec is the Spec of a revision that sets nothing, under the
// "custom" cluster defaults of TestDeciderSpec.
func clusterSpec(c config.Autoscaler) decider.Spec {
	return decider.Spec{
		MinScale: c.MinScale, MaxScale: c.MaxScale, InitialScale: c.InitialScale,
		Target: c.ContainerConcurrencyTargetDefault * c.TargetUtilizationPercentage / 100, TargetUtilizationPercentage: c.TargetUtilizationPercentage,
		StableWindow: c.StableWindow, PanicWindowPercentage: c.PanicWindowPercentage, PanicThresholdPercentage: c.PanicThresholdPercentage,
		ScaleToZeroGracePeriod: c.ScaleToZeroGracePeriod, ScaleDownDelay: c.ScaleDownDelay,
		MaxScaleUpRate: c.MaxScaleUpRate, MaxScaleDownRate: c.MaxScaleDownRate,
	}
}

func withMin(c config.Autoscaler, minScale int32) config.Autoscaler {
	c.MinScale = minScale
	return c
}

func withTargetDefault(c config.Autoscaler, target float64) config.Autoscaler {
	c.ContainerConcurrencyTargetDefault = target
	return c
}
