package decider

import (
	"math"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	d := Defaults()
	want := Spec{
		InitialScale:                1,
		TargetUtilizationPercentage: 70,
		StableWindow:                60 * time.Second,
		PanicWindowPercentage:       10,
		PanicThresholdPercentage:    200,
		ScaleToZeroGracePeriod:      30 * time.Second,
		MaxScaleUpRate:              1000,
		MaxScaleDownRate:            2,
	}
	if d != want {
		t.Fatalf("Defaults() = %+v, want %+v", d, want)
	}
	if err := d.Validate(); err != nil {
		t.Fatalf("Defaults().Validate() = %v", err)
	}
	if got := d.panicBuckets(); got != 6 {
		t.Errorf("panic window = %d buckets, want 6", got)
	}
}

func TestTargetPerPod(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Spec)
		want   float64
	}{
		{name: "unlimited concurrency", want: 70},
		{name: "container concurrency 10", mutate: func(s *Spec) { s.ContainerConcurrency = 10 }, want: 7},
		{name: "explicit target", mutate: func(s *Spec) { s.Target = 7 }, want: 7},
		{name: "target wins over utilisation", mutate: func(s *Spec) { s.Target = 5; s.ContainerConcurrency = 10 }, want: 5},
		{name: "target capped at container concurrency", mutate: func(s *Spec) { s.Target = 50; s.ContainerConcurrency = 10 }, want: 10},
		{name: "utilisation 100%", mutate: func(s *Spec) { s.ContainerConcurrency = 3; s.TargetUtilizationPercentage = 100 }, want: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			if tc.mutate != nil {
				tc.mutate(&s)
			}
			if got := s.TargetPerPod(); got != tc.want {
				t.Errorf("TargetPerPod() = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Spec)
	}{
		{name: "negative minScale", mutate: func(s *Spec) { s.MinScale = -1 }},
		{name: "min above max", mutate: func(s *Spec) { s.MinScale = 3; s.MaxScale = 2 }},
		{name: "negative initialScale", mutate: func(s *Spec) { s.InitialScale = -1 }},
		{name: "NaN target", mutate: func(s *Spec) { s.Target = math.NaN() }},
		{name: "zero utilisation", mutate: func(s *Spec) { s.TargetUtilizationPercentage = 0 }},
		{name: "utilisation above 100", mutate: func(s *Spec) { s.TargetUtilizationPercentage = 101 }},
		{name: "tiny stable window", mutate: func(s *Spec) { s.StableWindow = time.Millisecond }},
		{name: "huge stable window", mutate: func(s *Spec) { s.StableWindow = 2 * time.Hour }},
		{name: "zero panic window", mutate: func(s *Spec) { s.PanicWindowPercentage = 0 }},
		{name: "zero panic threshold", mutate: func(s *Spec) { s.PanicThresholdPercentage = 0 }},
		{name: "negative grace", mutate: func(s *Spec) { s.ScaleToZeroGracePeriod = -time.Second }},
		{name: "negative delay", mutate: func(s *Spec) { s.ScaleDownDelay = -time.Second }},
		{name: "scale-up rate 1", mutate: func(s *Spec) { s.MaxScaleUpRate = 1 }},
		{name: "scale-down rate Inf", mutate: func(s *Spec) { s.MaxScaleDownRate = math.Inf(1) }},
		{name: "zero value", mutate: func(s *Spec) { *s = Spec{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := Defaults()
			tc.mutate(&s)
			if err := s.Validate(); err == nil {
				t.Errorf("Validate() = nil, want an error")
			}
			if _, err := New(s); err == nil {
				t.Errorf("New() = nil error, want one")
			}
		})
	}
}
