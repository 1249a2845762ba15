package kubectlwake

import (
	"fmt"
	"sort"

	"github.com/spf13/cobra"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// Tenant is one TenantPolicy as `tenants` shows it.
type Tenant struct {
	Policy   string `json:"policy"`
	Ready    string `json:"ready"`
	Reason   string `json:"reason,omitempty"`
	Selector string `json:"selector"`
	// NamespaceCount counts the namespaces the policy governs; Namespaces
	// lists at most servingv1alpha1.MaxTenantNamespacesInStatus of them.
	NamespaceCount int32                                   `json:"namespaceCount"`
	Namespaces     []servingv1alpha1.TenantNamespaceStatus `json:"namespaces"`
	// Warnings are the policy's Warning conditions that are not True,
	// such as Exclusive=False.
	Warnings []string `json:"warnings,omitempty"`
}

// newTenantsCommand returns `tenants [POLICY]`.
func newTenantsCommand(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:     "tenants [POLICY]",
		Aliases: []string{"tenant", "tp"},
		Short:   "TenantPolicies: the namespaces each governs, their limits in force and their use",
		Long: `Show each TenantPolicy (or the one named) with the namespaces it governs,
each with its limits in force (the policy's, with wake-config's tenant-*
defaults for those it leaves unset) against its use: requests in flight
against maxInFlight, the pods the autoscaler wants against maxPods. A "-"
limit is none. Use is refreshed every 10 s. With -n, only that namespace's
row. A namespace no policy selects has wake-config's defaults and is not
shown. TenantPolicies are cluster-scoped: reading them needs a cluster role.`,
		Example: `  kubectl wake tenants
  kubectl wake tenants free-tier -o yaml
  kubectl wake tenants -n team-a`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkFormat(format); err != nil {
				return err
			}
			c, err := e.client()
			if err != nil {
				return err
			}
			var policies []servingv1alpha1.TenantPolicy
			if len(args) == 1 {
				p := servingv1alpha1.TenantPolicy{}
				if err := c.Get(cmd.Context(), client.ObjectKey{Name: args[0]}, &p); err != nil {
					return readErr(err, "tenantpolicy", "", args[0])
				}
				policies = append(policies, p)
			} else {
				list := &servingv1alpha1.TenantPolicyList{}
				if err := c.List(cmd.Context(), list); err != nil {
					return listErr(err, "tenantpolicies")
				}
				policies = list.Items
			}
			only := ""
			if e.flags.Namespace != nil {
				only = *e.flags.Namespace
			}
			tenants := tenantsOf(policies, only)
			if format != formatText {
				return printData(e.out, format, tenants)
			}
			p := &printer{w: e.out}
			printTenants(p, tenants, only)
			return p.err
		},
	}
	addOutputFlag(cmd, &format)
	return cmd
}

// tenantsOf turns policies into Tenants sorted by name, keeping only the
// namespace only when it is not empty (and the policies governing it).
func tenantsOf(policies []servingv1alpha1.TenantPolicy, only string) []Tenant {
	sort.Slice(policies, func(i, j int) bool { return policies[i].Name < policies[j].Name })
	out := []Tenant{}
	for i := range policies {
		p := &policies[i]
		ready := p.Status.GetCondition(apis.ConditionReady)
		t := Tenant{
			Policy: p.Name, Ready: conditionStatus(ready),
			Selector:       metav1.FormatLabelSelector(&p.Spec.NamespaceSelector),
			NamespaceCount: p.Status.NamespaceCount,
			Namespaces:     []servingv1alpha1.TenantNamespaceStatus{},
			Warnings:       warnings("", &p.Status.Status),
		}
		if ready != nil && !ready.IsTrue() {
			t.Reason = ready.Reason
		}
		// Exclusive=False is informational (it does not change Ready) but
		// says the policy does not govern all it selects.
		if x := p.Status.GetCondition(servingv1alpha1.TenantPolicyConditionExclusive); x.IsFalse() && x.Severity != apis.ConditionSeverityWarning {
			t.Warnings = append(t.Warnings, sentence("Exclusive is False: "+reasonMessage(x)))
		}
		for _, ns := range p.Status.Namespaces {
			if only == "" || ns.Name == only {
				t.Namespaces = append(t.Namespaces, ns)
			}
		}
		if only != "" && len(t.Namespaces) == 0 {
			continue
		}
		out = append(out, t)
	}
	return out
}

// printTenants writes the policies, then every governed namespace's use
// against its limits.
func printTenants(p *printer, tenants []Tenant, only string) {
	if len(tenants) == 0 {
		msg := "No TenantPolicies: every namespace has wake-config's tenant-* defaults."
		if only != "" {
			msg = fmt.Sprintf("No TenantPolicy governs namespace %s: it has wake-config's tenant-* defaults.", only)
		}
		p.println(msg)
		return
	}
	t := newTable(p, "POLICY", "READY", "REASON", "NAMESPACES", "SELECTOR")
	listed := 0
	for _, tp := range tenants {
		t.row(tp.Policy, tp.Ready, tp.Reason, itoa(tp.NamespaceCount), tp.Selector)
		listed += len(tp.Namespaces)
	}
	t.flush()
	for _, tp := range tenants {
		for _, warn := range tp.Warnings {
			p.printf("Warning: %s: %s\n", tp.Policy, warn)
		}
	}
	p.println()
	if listed == 0 {
		p.println("No namespace is governed.")
		return
	}
	t = newTable(p, "NAMESPACE", "POLICY", "IN-FLIGHT", "PODS", "MAX-HELD", "RATE/S", "BURST", "SCALE-UP/MIN")
	for _, tp := range tenants {
		for _, ns := range tp.Namespaces {
			l := ns.Limits
			t.row(ns.Name, tp.Policy, use(ns.InFlight, l.MaxInFlight), use(ns.Pods, l.MaxPods),
				limit(l.MaxHeldRequests), limit(l.RequestsPerSecond), limit(l.Burst), limit(l.MaxScaleUpPerMinute))
		}
	}
	t.flush()
	for _, tp := range tenants {
		if only == "" && int(tp.NamespaceCount) > len(tp.Namespaces) {
			p.printf("%s governs %d namespaces; its status lists %d of them.\n", tp.Policy, tp.NamespaceCount, len(tp.Namespaces))
		}
	}
}

// limit formats a limit in force; 0 is none.
func limit(n int32) string {
	if n == 0 {
		return "-"
	}
	return itoa(n)
}

// use formats a use against its limit, "used/limit".
func use(used, most int32) string { return itoa(used) + "/" + limit(most) }
