package route

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
)

// reconcileHosts decides which of rt's hosts and tag hosts it holds and sets
// HostsClaimed (see resolve.ArbitrateHosts). The other claimants come from
// the host index, across all namespaces. On a read error the condition is
// left untouched.
func (r *Reconciler) reconcileHosts(ctx context.Context, rt *servingv1alpha1.Route, domain string) error {
	claimants, err := r.routesClaiming(ctx, resolve.ClaimedHosts(rt))
	if err != nil {
		return err
	}
	resolve.MarkHosts(&rt.Status, resolve.ArbitrateHosts(rt, claimants, domain))
	return nil
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
