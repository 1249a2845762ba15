package route

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
	"github.com/wakefn/wake/internal/config"
)

// reconcileHosts decides which of rt's hosts and tag hosts it holds and sets
// HostsClaimed (see resolve.ArbitrateHosts). The other claimants come from
// the host index, across all namespaces; under the claims policy the
// grants come from every DomainGrant. On a read error the condition is
// left untouched.
func (r *Reconciler) reconcileHosts(ctx context.Context, rt *servingv1alpha1.Route, cfg *config.Config) error {
	claimants, err := r.routesClaiming(ctx, resolve.ClaimedHosts(rt))
	if err != nil {
		return err
	}
	policy, err := r.policy(ctx, cfg.DomainPolicy)
	if err != nil {
		return err
	}
	resolve.MarkHosts(&rt.Status, resolve.ArbitrateHosts(rt, claimants, cfg.Domain, policy))
	return nil
}

// policy returns the domain policy named in wake-config; under "claims" it
// reads every DomainGrant into the domains granted to each namespace.
func (r *Reconciler) policy(ctx context.Context, name string) (resolve.Policy, error) {
	if name != config.DomainPolicyClaims {
		return resolve.Policy{}, nil
	}
	list := &servingv1alpha1.DomainGrantList{}
	if err := r.Client.List(ctx, list); err != nil {
		return resolve.Policy{}, fmt.Errorf("list domain grants: %w", err)
	}
	p := resolve.Policy{Claims: true, Grants: map[string][]string{}}
	for i := range list.Items {
		g := &list.Items[i]
		if !g.DeletionTimestamp.IsZero() {
			continue
		}
		for _, d := range g.Spec.Domains {
			p.Grants[g.Spec.Namespace] = append(p.Grants[g.Spec.Namespace], string(d))
		}
	}
	return p, nil
}

// routesClaiming returns every Route, in any namespace, that asks for at
// least one of hosts, each once.
func (r *Reconciler) routesClaiming(ctx context.Context, hosts []string) ([]servingv1alpha1.Route, error) {
	var out []servingv1alpha1.Route
	seen := map[types.NamespacedName]bool{}
	for _, h := range hosts {
		list := &servingv1alpha1.RouteList{}
		if err := r.Client.List(ctx, list, client.MatchingFields{IndexHosts: h}); err != nil {
			return nil, fmt.Errorf("list routes claiming host %s: %w", h, err)
		}
		for _, o := range list.Items {
			key := client.ObjectKeyFromObject(&o)
			if !seen[key] {
				seen[key] = true
				out = append(out, o)
			}
		}
	}
	return out, nil
}
