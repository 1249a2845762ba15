package metering

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

func TestUnits(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want int64
	}{
		{time.Millisecond, 1},
		{100 * time.Millisecond, 1},
		{100*time.Millisecond + time.Microsecond, 2},
		{46120 * time.Microsecond, 1},
		{123020 * time.Microsecond, 2},
		{time.Nanosecond, 1},
		{time.Second, 10},
		{0, 0},
		{-time.Second, 0},
	} {
		if got := Units(tc.d); got != tc.want {
			t.Errorf("Units(%v) = %d, want %d", tc.d, got, tc.want)
		}
	}
}

// TestUnitsBillNeverLessNorAUnitMore: for any positive duration,
// 0 ≤ billed − actual < 100 ms.
func TestUnitsBillNeverLessNorAUnitMore(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 100000 {
		// From a nanosecond to a day, spread over the orders of magnitude.
		d := time.Duration(math.Pow(10, r.Float64()*14)) + 1
		extra := time.Duration(Units(d))*Unit - d
		if extra < 0 || extra >= Unit {
			t.Fatalf("Units(%v) = %d: billed − actual = %v, want in [0, %v)", d, Units(d), extra, Unit)
		}
	}
}

func TestWeightsOf(t *testing.T) {
	def := Weights{GB: 0.128, VCPU: 0.1}
	rl := func(kv ...string) corev1.ResourceList {
		l := corev1.ResourceList{}
		for i := 0; i+1 < len(kv); i += 2 {
			l[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
		}
		return l
	}
	for _, tc := range []struct {
		name string
		r    corev1.ResourceRequirements
		want Weights
	}{
		{"limits win", corev1.ResourceRequirements{Limits: rl("memory", "1G", "cpu", "2"), Requests: rl("memory", "500M", "cpu", "500m")}, Weights{GB: 1, VCPU: 2}},
		{"else requests", corev1.ResourceRequirements{Requests: rl("memory", "512M", "cpu", "250m")}, Weights{GB: 0.512, VCPU: 0.25}},
		{"else the default", corev1.ResourceRequirements{}, def},
		{"one of each", corev1.ResourceRequirements{Limits: rl("memory", "2G"), Requests: rl("cpu", "1")}, Weights{GB: 2, VCPU: 1}},
	} {
		if got := WeightsOf(tc.r, def); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
	gbs, vcpus := Weights{GB: 0.5, VCPU: 2}.Seconds(3)
	if math.Abs(gbs-0.15) > 1e-9 || math.Abs(vcpus-0.6) > 1e-9 {
		t.Errorf("3 units at 0.5 GB and 2 vCPU: %v GB-s, %v vCPU-s; want 0.15 and 0.6", gbs, vcpus)
	}
}
