package validation

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
)

// TestObjectCountQuota: an operator caps how many Functions, Routes and
// Revisions a namespace may hold with Kubernetes' object-count quota; the
// API server refuses the one over the cap, naming the quota, and Wake
// needs nothing of its own for it. Without kube-controller-manager the
// quota's usage starts as the test writes it; from then on the API server's
// quota admission keeps it.
func TestObjectCountQuota(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		resource corev1.ResourceName
		// create makes the i-th object of the kind in ns.
		create func(ns string, i int) error
	}{{
		resource: "count/functions.serving.wake.dev",
		create: func(ns string, i int) error {
			return k8s.Create(ctx, fixture.Function(ns, "fn-"+string(rune('a'+i))))
		},
	}, {
		resource: "count/routes.serving.wake.dev",
		create: func(ns string, i int) error {
			return k8s.Create(ctx, fixture.Route(ns, "rt-"+string(rune('a'+i)), fixture.WithHosts("api.example.com"), fixture.WithRule(fixture.ToFunction("hello", 100, ""))))
		},
	}}
	for _, tt := range tests {
		t.Run(string(tt.resource), func(t *testing.T) {
			ns := testenv.Namespace(t, k8s, "quota")
			hard := corev1.ResourceList{tt.resource: resource.MustParse("1")}
			q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "one-each"}, Spec: corev1.ResourceQuotaSpec{Hard: hard}}
			if err := k8s.Create(ctx, q); err != nil {
				t.Fatal(err)
			}
			q.Status = corev1.ResourceQuotaStatus{Hard: hard, Used: corev1.ResourceList{tt.resource: resource.MustParse("0")}}
			if err := k8s.Status().Update(ctx, q); err != nil {
				t.Fatal(err)
			}

			if err := tt.create(ns, 0); err != nil {
				t.Fatalf("first object under a quota of 1: %v", err)
			}
			err := tt.create(ns, 1)
			if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "exceeded quota: one-each") ||
				!strings.Contains(err.Error(), string(tt.resource)) {
				t.Fatalf("second object under a quota of 1: error %v; want Forbidden naming quota one-each and %s", err, tt.resource)
			}
			t.Logf("refused: %v", err)
		})
	}
}
