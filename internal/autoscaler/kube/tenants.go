package kube

import (
	"context"
	"sync/atomic"

	"github.com/go-logr/logr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy"
	"github.com/wakefn/wake/internal/tenancy/inputs"
)

// TenantLimits gives each namespace's pod limits (maxPods,
// maxScaleUpPerMinute) as package tenancy resolves them from the
// TenantPolicies and Namespaces in the manager's cache and wake-config's
// tenant-* defaults; it implements scaler.TenantLimits. It resolves again
// after Changed, off the scaler's tick path (Run), and answers from the
// last resolution meanwhile.
type TenantLimits struct {
	reader client.Reader
	config *config.Store
	log    logr.Logger
	result atomic.Pointer[tenancy.Result]
	sig    chan struct{}
}

var _ scaler.TenantLimits = (*TenantLimits)(nil)

// NewTenantLimits returns a TenantLimits that lists from reader (the
// manager's cache) and takes the defaults from store. Until its first
// Resolve it gives every namespace wake-config's defaults.
func NewTenantLimits(reader client.Reader, store *config.Store, log logr.Logger) *TenantLimits {
	return &TenantLimits{reader: reader, config: store, log: log, sig: make(chan struct{}, 1)}
}

// PodLimits returns the pod limits in force in namespace ns.
func (t *TenantLimits) PodLimits(ns string) scaler.PodLimits {
	var in servingv1alpha1.TenantLimitsInForce
	if r := t.result.Load(); r != nil {
		in = r.For(ns)
	} else {
		in = tenancy.InForce(servingv1alpha1.TenantLimits{}, t.config.Load().Tenant)
	}
	return scaler.PodLimits{MaxPods: in.MaxPods, MaxScaleUpPerMinute: in.MaxScaleUpPerMinute}
}

// Changed says that a TenantPolicy, a Namespace's labels or wake-config
// changed: Run resolves again soon. It never blocks.
func (t *TenantLimits) Changed() {
	select {
	case t.sig <- struct{}{}:
	default:
	}
}

// Resolve lists the TenantPolicies and Namespaces and resolves every
// namespace's limits now.
func (t *TenantLimits) Resolve(ctx context.Context) error {
	in, err := inputs.List(ctx, t.reader)
	if err != nil {
		return err
	}
	t.result.Store(in.Resolve(t.config.Load().Tenant))
	return nil
}

// Run resolves after each Changed until ctx is done. A failed resolution
// keeps the last one and is retried on the next change.
func (t *TenantLimits) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.sig:
		}
		if err := t.Resolve(ctx); err != nil {
			t.log.Error(err, "resolve tenant limits")
		}
	}
}
