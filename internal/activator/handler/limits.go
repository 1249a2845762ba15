package handler

import (
	"errors"

	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// countRefused counts a request that a limit refused (the 503s for a full
// revision queue and for the activator's cap on held requests, the 429s
// for the namespace's cap and for its tenant limits).
func (h *Handler) countRefused(err error) {
	if h.cfg.Metrics == nil {
		return
	}
	var te *tenant.Error
	switch {
	case errors.As(err, &te) && te.Limit == tenant.LimitInFlight:
		h.cfg.Metrics.Refused(metrics.RefusedTenantInFlight)
	case errors.As(err, &te) && te.Limit == tenant.LimitRate:
		h.cfg.Metrics.Refused(metrics.RefusedTenantRate)
	case errors.Is(err, throttler.ErrTenantHeldLimit):
		h.cfg.Metrics.Refused(metrics.RefusedTenantHeldRequests)
	case errors.Is(err, throttler.ErrNamespaceHeldLimit):
		h.cfg.Metrics.Refused(metrics.RefusedNamespaceHeldRequests)
	case errors.Is(err, throttler.ErrHeldLimit):
		h.cfg.Metrics.Refused(metrics.RefusedHeldRequests)
	case errors.Is(err, throttler.ErrQueueFull):
		h.cfg.Metrics.Refused(metrics.RefusedQueueFull)
	}
}
