package tenantpolicy

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// prompt bounds the wait for a change to show: well within UsageRefresh,
// so that the watches, not the periodic refresh, must bring it.
const prompt = UsageRefresh / 2

// createPolicy creates a TenantPolicy, deleted after the test.
func createPolicy(t *testing.T, p *servingv1alpha1.TenantPolicy) {
	t.Helper()
	if err := k8s.Create(context.Background(), p); err != nil {
		t.Fatalf("create tenant policy %s: %v", p.Name, err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), p) })
}

// setLabels replaces namespace ns's labels.
func setLabels(t *testing.T, ns string, labels map[string]string) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		n := &corev1.Namespace{}
		if err := k8s.Get(context.Background(), client.ObjectKey{Name: ns}, n); err != nil {
			return err
		}
		n.Labels = labels
		return k8s.Update(context.Background(), n)
	})
	if err != nil {
		t.Fatalf("label namespace %s: %v", ns, err)
	}
}

// governs returns nil once policy name is Ready for its generation and its
// status lists exactly want among the namespaces of the test (mine), and
// check, when given, accepts its line for each.
func governs(ctx context.Context, name string, mine, want []string, check func(servingv1alpha1.TenantNamespaceStatus) error) error {
	p := &servingv1alpha1.TenantPolicy{}
	if err := k8s.Get(ctx, client.ObjectKey{Name: name}, p); err != nil {
		return err
	}
	if p.Status.ObservedGeneration != p.Generation || !p.Status.GetCondition(apis.ConditionReady).IsTrue() {
		return fmt.Errorf("%s not Ready for generation %d: %+v", name, p.Generation, p.Status)
	}
	var got []string
	for _, ns := range p.Status.Namespaces {
		if !slices.Contains(mine, ns.Name) {
			continue
		}
		got = append(got, ns.Name)
		if check != nil {
			if err := check(ns); err != nil {
				return fmt.Errorf("%s: %s: %w", name, ns.Name, err)
			}
		}
	}
	if !slices.Equal(got, want) {
		return fmt.Errorf("%s governs %v of %v, want %v", name, got, mine, want)
	}
	return nil
}

// TestEnvLabelsMoveNamespaces: labelling a namespace makes the policy
// selecting the label govern it, with its limits and use; relabelling it
// moves it to another policy; a namespace both select goes to the older.
func TestEnvLabelsMoveNamespaces(t *testing.T) {
	ctx := context.Background()
	gold := fixture.TenantPolicy("env-gold", fixture.WithNamespaceLabel("env.wake.dev/tier", "gold"),
		fixture.WithTenantLimits(servingv1alpha1.TenantLimits{MaxPods: ptr.To[int32](7)}))
	createPolicy(t, gold)
	silver := fixture.TenantPolicy("env-silver", fixture.WithNamespaceLabel("env.wake.dev/tier", "silver"),
		fixture.WithTenantLimits(servingv1alpha1.TenantLimits{MaxPods: ptr.To[int32](3)}))
	createPolicy(t, silver)
	a, b := testenv.Namespace(t, k8s, "tp"), testenv.Namespace(t, k8s, "tp")
	mine := []string{a, b}

	// Use in a, before it is labelled: 2 pods wanted, 5 requests in flight.
	rev := fixture.Revision(a, "api-00001")
	if err := k8s.Create(ctx, rev); err != nil {
		t.Fatal(err)
	}
	fixture.WithDesiredReplicas(2)(rev)
	if err := k8s.Status().Update(ctx, rev); err != nil {
		t.Fatal(err)
	}
	envUsage.set(a, 5)

	testutil.Eventually(t, testenv.Timeout, "unlabelled namespaces governed by neither", func(ctx context.Context) error {
		if err := governs(ctx, "env-gold", mine, nil, nil); err != nil {
			return err
		}
		return governs(ctx, "env-silver", mine, nil, nil)
	})

	setLabels(t, a, map[string]string{"env.wake.dev/tier": "gold"})
	testutil.Eventually(t, prompt, "gold governs the namespace labelled gold, with its limits and use", func(ctx context.Context) error {
		return governs(ctx, "env-gold", mine, []string{a}, func(ns servingv1alpha1.TenantNamespaceStatus) error {
			if ns.Limits.MaxPods != 7 || ns.Pods != 2 || ns.InFlight != 5 {
				return fmt.Errorf("maxPods %d pods %d in flight %d, want 7, 2 and 5", ns.Limits.MaxPods, ns.Pods, ns.InFlight)
			}
			return nil
		})
	})

	setLabels(t, a, map[string]string{"env.wake.dev/tier": "silver"})
	testutil.Eventually(t, prompt, "relabelled silver: it moves to silver", func(ctx context.Context) error {
		if err := governs(ctx, "env-gold", mine, nil, nil); err != nil {
			return err
		}
		return governs(ctx, "env-silver", mine, []string{a}, func(ns servingv1alpha1.TenantNamespaceStatus) error {
			if ns.Limits.MaxPods != 3 {
				return fmt.Errorf("maxPods %d, want 3", ns.Limits.MaxPods)
			}
			return nil
		})
	})

	// A third, newer policy selecting everything: it takes only what no
	// older policy governs (b), and says which it does not get.
	waitYounger(t, silver.Name)
	all := fixture.TenantPolicy("env-all", fixture.WithNamespaceLabel("env.wake.dev/all", "yes"))
	createPolicy(t, all)
	setLabels(t, b, map[string]string{"env.wake.dev/all": "yes"})
	setLabels(t, a, map[string]string{"env.wake.dev/tier": "silver", "env.wake.dev/all": "yes"})
	testutil.Eventually(t, prompt, "the newer policy governs only the namespace no older one does", func(ctx context.Context) error {
		if err := governs(ctx, "env-all", mine, []string{b}, nil); err != nil {
			return err
		}
		p := &servingv1alpha1.TenantPolicy{}
		if err := k8s.Get(ctx, client.ObjectKey{Name: "env-all"}, p); err != nil {
			return err
		}
		want := fmt.Sprintf("1 selected namespaces are governed by older policies: %s by env-silver", a)
		if c := p.Status.GetCondition(servingv1alpha1.TenantPolicyConditionExclusive); c == nil || !c.IsFalse() || c.Message != want {
			return fmt.Errorf("Exclusive = %+v, want False %q", c, want)
		}
		return nil
	})
	testutil.Eventually(t, testenv.Timeout, "a Warning event on the overlapped policy", func(ctx context.Context) error {
		return hasEvent(ctx, "env-all", corev1.EventTypeWarning, servingv1alpha1.ReasonGovernedByOlderPolicy)
	})
}

// hasEvent returns nil once an event of type and reason regards policy
// name. Events about cluster-scoped objects are recorded in "default".
func hasEvent(ctx context.Context, name, typ, reason string) error {
	list := &eventsv1.EventList{}
	if err := k8s.List(ctx, list, client.InNamespace(metav1.NamespaceDefault)); err != nil {
		return err
	}
	for _, e := range list.Items {
		if e.Regarding.Kind == "TenantPolicy" && e.Regarding.Name == name && e.Type == typ && e.Reason == reason {
			return nil
		}
	}
	return fmt.Errorf("no %s %s event on TenantPolicy %s among %d events", typ, reason, name, len(list.Items))
}

// TestEnvDefaultsChange: a change of wake-config's tenant-* defaults shows
// at once in the limits in force of every policy that leaves them unset.
func TestEnvDefaultsChange(t *testing.T) {
	createPolicy(t, fixture.TenantPolicy("env-defaults", fixture.WithNamespaceLabel("env.wake.dev/defaults", "yes")))
	ns := testenv.Namespace(t, k8s, "tp")
	setLabels(t, ns, map[string]string{"env.wake.dev/defaults": "yes"})
	inForce := func(want int32) func(context.Context) error {
		return func(ctx context.Context) error {
			return governs(ctx, "env-defaults", []string{ns}, []string{ns}, func(s servingv1alpha1.TenantNamespaceStatus) error {
				if s.Limits.MaxInFlight != want {
					return fmt.Errorf("maxInFlight %d, want %d", s.Limits.MaxInFlight, want)
				}
				return nil
			})
		}
	}
	testutil.Eventually(t, testenv.Timeout, "no default", inForce(0))
	if err := store.Update(map[string]string{config.KeyTenantMaxInFlight: "40"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Update(nil) })
	testutil.Eventually(t, prompt, "the new default", inForce(40))
}

// waitYounger waits until a policy created now is strictly younger than
// policy name: creation timestamps have one-second resolution, and age,
// not the name tie-break, must decide.
func waitYounger(t *testing.T, name string) {
	t.Helper()
	p := &servingv1alpha1.TenantPolicy{}
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: name}, p); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "clock past the older policy's second", func(context.Context) error {
		if !time.Now().After(p.CreationTimestamp.Add(time.Second)) {
			return fmt.Errorf("same second")
		}
		return nil
	})
}
