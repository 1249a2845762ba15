package tenancy

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

func TestSpecChanged(t *testing.T) {
	policy := func(gen int64) *servingv1alpha1.TenantPolicy {
		return &servingv1alpha1.TenantPolicy{ObjectMeta: metav1.ObjectMeta{Generation: gen}}
	}
	tests := []struct {
		name     string
		old, cur any
		want     bool
	}{
		{"spec changed", policy(1), policy(2), true},
		{"status only", policy(1), policy(1), false},
		{"generation unknown", policy(0), policy(0), true},
		{"not a policy", "x", policy(1), true},
	}
	for _, tt := range tests {
		if got := SpecChanged(tt.old, tt.cur); got != tt.want {
			t.Errorf("%s: SpecChanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestLabelsChanged(t *testing.T) {
	meta := func(l map[string]string) *metav1.PartialObjectMetadata {
		return &metav1.PartialObjectMetadata{ObjectMeta: metav1.ObjectMeta{Labels: l}}
	}
	full := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"a": "1"}}}
	tests := []struct {
		name     string
		old, cur any
		want     bool
	}{
		{"label added", meta(nil), meta(map[string]string{"a": "1"}), true},
		{"same labels", meta(map[string]string{"a": "1"}), meta(map[string]string{"a": "1"}), false},
		{"full objects too", full, full, false},
		{"not an object", "x", meta(nil), true},
	}
	for _, tt := range tests {
		if got := LabelsChanged(tt.old, tt.cur); got != tt.want {
			t.Errorf("%s: LabelsChanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestNamespacesOf(t *testing.T) {
	got := NamespacesOf([]metav1.PartialObjectMetadata{{ObjectMeta: metav1.ObjectMeta{Name: "a", Labels: map[string]string{"t": "1"}}}})
	if len(got) != 1 || got[0].Name != "a" || got[0].Labels["t"] != "1" {
		t.Errorf("NamespacesOf = %+v", got)
	}
}
