package inputs

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
		if got := specChanged(tt.old, tt.cur); got != tt.want {
			t.Errorf("%s: specChanged = %v, want %v", tt.name, got, tt.want)
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
		if got := labelsChanged(tt.old, tt.cur); got != tt.want {
			t.Errorf("%s: labelsChanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}

// TestWatchHandlers: only what changes a resolution signals: a policy's
// spec (its generation), a namespace's labels, additions and deletions.
func TestWatchHandlers(t *testing.T) {
	policy := func(gen int64, status int32) *servingv1alpha1.TenantPolicy {
		return &servingv1alpha1.TenantPolicy{
			ObjectMeta: metav1.ObjectMeta{Name: "p", Generation: gen},
			Status:     servingv1alpha1.TenantPolicyStatus{NamespaceCount: status},
		}
	}
	ns := func(labels map[string]string, rv string) *corev1.Namespace {
		return &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: labels, ResourceVersion: rv}}
	}
	tests := []struct {
		name     string
		fire     func(changed func())
		signaled bool
	}{
		{"policy added", func(c func()) { handlerOf(c, specChanged).OnAdd(policy(1, 0), false) }, true},
		{"policy spec changed", func(c func()) { handlerOf(c, specChanged).OnUpdate(policy(1, 0), policy(2, 0)) }, true},
		{"policy status changed", func(c func()) { handlerOf(c, specChanged).OnUpdate(policy(1, 0), policy(1, 3)) }, false},
		{"policy deleted", func(c func()) { handlerOf(c, specChanged).OnDelete(policy(1, 0)) }, true},
		{"namespace added", func(c func()) { handlerOf(c, labelsChanged).OnAdd(ns(nil, "1"), false) }, true},
		{"namespace labels changed", func(c func()) {
			handlerOf(c, labelsChanged).OnUpdate(ns(nil, "1"), ns(map[string]string{"tier": "free"}, "2"))
		}, true},
		{"namespace changed otherwise", func(c func()) {
			handlerOf(c, labelsChanged).OnUpdate(ns(map[string]string{"tier": "free"}, "1"), ns(map[string]string{"tier": "free"}, "2"))
		}, false},
		{"namespace deleted", func(c func()) { handlerOf(c, labelsChanged).OnDelete(ns(nil, "1")) }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			signaled := false
			tt.fire(func() { signaled = true })
			if signaled != tt.signaled {
				t.Errorf("signaled = %v, want %v", signaled, tt.signaled)
			}
		})
	}
}
