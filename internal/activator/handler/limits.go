package handler

import (
	"errors"

	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// countRefused counts a request that a queue limit refused (the 503s for
// a full revision queue and for the activator's cap on held requests, the
// 429 for the namespace's cap).
func (h *Handler) countRefused(err error) {
	if h.cfg.Metrics == nil {
		return
	}
	switch {
	case errors.Is(err, throttler.ErrNamespaceHeldLimit):
		h.cfg.Metrics.Refused(metrics.RefusedNamespaceHeldRequests)
	case errors.Is(err, throttler.ErrHeldLimit):
		h.cfg.Metrics.Refused(metrics.RefusedHeldRequests)
	case errors.Is(err, throttler.ErrQueueFull):
		h.cfg.Metrics.Refused(metrics.RefusedQueueFull)
	}
}
