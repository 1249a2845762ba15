package handler

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// statusClientClosed is recorded (never sent) when the client left first.
const statusClientClosed = 499

// limitHeader names, on a 429, the tenant limit that refused the request.
const limitHeader = "Wake-Limit"

// namespaceHeldLimit is limitHeader's value when the namespace already
// holds its cap of waiting requests.
var namespaceHeldLimit = []string{"namespace-held-requests"}

// tenantHeldLimit is limitHeader's value when the namespace holds its
// share of its TenantPolicy's limit on waiting requests.
var tenantHeldLimit = []string{tenant.LimitHeld}

// finish answers a failed request if nothing was written yet, and returns
// the status for metrics and whether the response must be aborted.
func (h *Handler) finish(w http.ResponseWriter, r *http.Request, a *attempt, err error) (code int, abort bool) {
	if err == nil {
		return a.pr.Status(), false
	}
	var pe *proxy.Error
	if errors.As(err, &pe) {
		if pe.Written {
			h.log.V(1).Info("response aborted", "host", r.Host, "kind", pe.Kind.String(), "error", err.Error())
			if pe.Kind == proxy.KindCanceled {
				return statusClientClosed, false
			}
			return a.pr.Status(), true
		}
		switch pe.Kind {
		case proxy.KindClientBody:
			code = http.StatusBadRequest
		case proxy.KindClientTimeout:
			code = http.StatusRequestTimeout
		case proxy.KindTimeout:
			code = http.StatusGatewayTimeout
		case proxy.KindCanceled:
			return statusClientClosed, false
		default:
			code = http.StatusBadGateway
		}
		h.log.V(1).Info("proxy failed", "host", r.Host, "kind", pe.Kind.String(), "code", code, "error", err.Error())
		h.fail(w, code, http.StatusText(code))
		return code, false
	}
	var te *tenant.Error
	switch {
	case errors.As(err, &te):
		// A tenant limit on in flight or rate: never forwarded, never
		// counted in flight.
		code = http.StatusTooManyRequests
		w.Header()["Retry-After"] = []string{retryAfterSeconds(te.RetryAfter)}
		w.Header()[limitHeader] = []string{te.Limit}
		h.countRefused(err)
	case errors.Is(err, throttler.ErrTenantHeldLimit):
		code = http.StatusTooManyRequests
		w.Header()["Retry-After"] = h.retryAfter
		w.Header()[limitHeader] = tenantHeldLimit
		h.countRefused(err)
	case errors.Is(err, throttler.ErrNamespaceHeldLimit):
		// The tenant's limit, not the activator's overload.
		code = http.StatusTooManyRequests
		w.Header()["Retry-After"] = h.retryAfter
		w.Header()[limitHeader] = namespaceHeldLimit
		h.countRefused(err)
	case errors.Is(err, throttler.ErrQueueFull), errors.Is(err, throttler.ErrHeldLimit),
		errors.Is(err, throttler.ErrRevisionNotFound), errors.Is(err, throttler.ErrRevisionRemoved):
		code = http.StatusServiceUnavailable
		w.Header()["Retry-After"] = h.retryAfter
		h.countRefused(err)
	case r.Context().Err() != nil:
		return statusClientClosed, false
	case errors.Is(err, throttler.ErrClientGone):
		// clientgone ended the wait: the client closed or reset the
		// connection, which net/http has not noticed (the body is unread).
		// Close it rather than let net/http answer an empty 200 on it.
		return statusClientClosed, true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, throttler.ErrTimeout):
		code = http.StatusGatewayTimeout
	case errors.Is(err, throttler.ErrDialFailed):
		code = http.StatusBadGateway
	default:
		code = http.StatusInternalServerError
	}
	h.log.V(1).Info("request failed", "host", r.Host, "code", code, "error", err.Error())
	h.fail(w, code, http.StatusText(code))
	return code, false
}

// fail writes an error answer, dropping headers meant for a proxied answer.
func (h *Handler) fail(w http.ResponseWriter, code int, msg string) {
	clearColdStartHeaders(w.Header())
	http.Error(w, msg, code)
}

// retryAfterSeconds formats d as Retry-After's whole seconds, rounded up,
// at least one.
func retryAfterSeconds(d time.Duration) string {
	return strconv.FormatInt(max(1, int64((d+time.Second-1)/time.Second)), 10)
}
