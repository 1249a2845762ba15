package integration

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// TestTenantPolicySample: the sample TenantPolicy, applied to the
// controllers as cmd/controller wires them, governs a namespace labelled
// tier=free and shows its limits in force.
func TestTenantPolicySample(t *testing.T) {
	ctx := context.Background()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "config", "samples", "tenantpolicy.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	p := &servingv1alpha1.TenantPolicy{}
	if err := yaml.UnmarshalStrict(data, p); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, fixture.Namespace("tp-free", map[string]string{"tier": "free"})); err != nil {
		t.Fatal(err)
	}
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), p) })
	testutil.Eventually(t, waitTimeout, "sample policy governs tp-free", func(ctx context.Context) error {
		got := &servingv1alpha1.TenantPolicy{}
		if err := k8s.Get(ctx, client.ObjectKeyFromObject(p), got); err != nil {
			return err
		}
		if !got.Status.GetCondition(apis.ConditionReady).IsTrue() {
			return fmt.Errorf("not Ready: %+v", got.Status)
		}
		for _, ns := range got.Status.Namespaces {
			if ns.Name == "tp-free" {
				if ns.Limits.MaxPods != *p.Spec.Limits.MaxPods || ns.Limits.Burst != *p.Spec.Limits.Burst {
					return fmt.Errorf("limits in force %+v, want the sample's %+v", ns.Limits, p.Spec.Limits)
				}
				return nil
			}
		}
		return fmt.Errorf("tp-free not among %+v", got.Status.Namespaces)
	})
}
