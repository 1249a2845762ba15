//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
)

// TestCORSPreflightAtZero: a Route with a CORS policy gets its preflights
// answered by the activators while its function stays at zero pods (204
// for the allowed origin, 403 for another), and a request from the allowed
// origin wakes the function and is answered with the policy's headers.
func TestCORSPreflightAtZero(t *testing.T) {
	ns := newNamespace(t, "cors")
	const origin = "https://app.example.com"
	create(t, newFunction(ns, "web", "hello", withGreeting("cors"), func(fn *servingv1alpha1.Function) {
		scaling(fn).InitialScale = ptr.To[int32](0)
	}))
	host := "api." + ns + "." + suite.domain
	rt := newRoute(ns, "api", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "web", Percent: 100})
	rt.Spec.Policies = &servingv1alpha1.RoutePolicies{CORS: &servingv1alpha1.CORSPolicy{
		AllowOrigins:  []servingv1alpha1.CORSOrigin{origin},
		AllowMethods:  []servingv1alpha1.CORSMethod{"GET", "PUT"},
		AllowHeaders:  []servingv1alpha1.CORSHeaderName{"X-Api-Key"},
		ExposeHeaders: []servingv1alpha1.CORSHeaderName{"X-Total"},
		MaxAge:        600,
	}}
	create(t, rt)
	waitRouteCondition(t, ns, "api", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)

	preflight := func(from string) response {
		return send(http.MethodOptions, host, "/items", "Origin", from, "Access-Control-Request-Method", "PUT")
	}
	// Both activators must have the Route: 20 answers in a row, over fresh
	// connections spread across them.
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var last response
	if _, err := poll.Until(ctx, pollInterval, func(context.Context) error {
		for i := range 20 {
			if last = preflight(origin); last.code != http.StatusNoContent {
				return fmt.Errorf("preflight %d: %v", i, last)
			}
		}
		return nil
	}); err != nil {
		t.Fatalf("preflights not answered 204: %v", err)
	}
	for k, want := range map[string]string{
		"Access-Control-Allow-Origin":  origin,
		"Access-Control-Allow-Methods": "GET, PUT",
		"Access-Control-Allow-Headers": "X-Api-Key",
		"Access-Control-Max-Age":       "600",
	} {
		if got := last.header.Get(k); got != want {
			t.Errorf("preflight %s = %q, want %q", k, got, want)
		}
	}
	if r := preflight("https://evil.example.com"); r.code != http.StatusForbidden || r.header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("preflight from another origin: %v, Allow-Origin %q; want 403 without it", r, r.header.Get("Access-Control-Allow-Origin"))
	}
	requireAtZero(t, ns, "web-00001")

	r := send(http.MethodGet, host, "/items", "Origin", origin)
	if r.code != http.StatusOK || r.body != "cors\n" || r.header.Get("Access-Control-Allow-Origin") != origin || r.header.Get("Access-Control-Expose-Headers") != "X-Total" {
		t.Errorf("GET from the allowed origin: %v, Allow-Origin %q Expose %q; want 200 %q with the policy's headers",
			r, r.header.Get("Access-Control-Allow-Origin"), r.header.Get("Access-Control-Expose-Headers"), "cors\n")
	}
}

// send sends method http://host/path through the activator with the
// headers hdr (name, value, ...), on a connection of its own, so that
// requests spread over the activators.
func send(method, host, path string, hdr ...string) response {
	return doVia(freshClient, requestTimeout, method, host, path, hdr...)
}

// freshClient is httpClient without keep-alives.
var freshClient = func() *http.Client {
	tr := httpClient.Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	return &http.Client{Transport: tr}
}()
