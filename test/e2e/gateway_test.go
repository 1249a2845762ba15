//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

// keyTransport sets X-Api-Key on every request to the key it holds.
type keyTransport struct {
	key  atomic.Pointer[string]
	next http.RoundTripper
}

func (k *keyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Api-Key", *k.key.Load())
	return k.next.RoundTrip(r)
}

// TestAPIKeysRotatedUnderLoad: a Route requiring API keys refuses a
// request without one (401) while its function is at zero, without waking
// it; then, under 50 requests/s with alice's key, a second key is added to
// the Secret, the load switches to it, and the first is removed: every
// request sent with a valid key is answered 200, and the removed key is
// refused within seconds.
func TestAPIKeysRotatedUnderLoad(t *testing.T) {
	ns := newNamespace(t, "apikeys")
	ctx := context.Background()
	secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "clients"}, Data: map[string][]byte{"alice": []byte("first-key")}}
	create(t, secret)
	create(t, newFunction(ns, "keyed", "hello", withGreeting("keyed"), func(fn *servingv1alpha1.Function) {
		scaling(fn).InitialScale = ptr.To[int32](0)
	}))
	host := "keys." + ns + "." + suite.domain
	rt := newRoute(ns, "keys", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "keyed", Percent: 100})
	rt.Spec.Policies = &servingv1alpha1.RoutePolicies{APIKeys: &servingv1alpha1.APIKeyPolicy{
		CredentialRefs: []servingv1alpha1.SecretRef{{Name: "clients"}},
		ExtractFrom:    []servingv1alpha1.APIKeyExtractFrom{{Headers: []servingv1alpha1.CORSHeaderName{"X-Api-Key"}}},
	}}
	create(t, rt)
	waitRouteCondition(t, ns, "keys", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)

	// answered waits until 20 requests in a row with key (none: "") over
	// fresh connections get code.
	answered := func(ctx context.Context, key string, code int) error {
		var hdr []string
		if key != "" {
			hdr = []string{"X-Api-Key", key}
		}
		_, err := poll.Until(ctx, pollInterval, func(context.Context) error {
			for i := range 20 {
				if r := send(http.MethodGet, host, "/", hdr...); r.code != code {
					return fmt.Errorf("request %d with key %q: %v, want %d", i, key, r, code)
				}
			}
			return nil
		})
		return err
	}
	wait, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := answered(wait, "", http.StatusUnauthorized); err != nil {
		t.Fatal(err)
	}
	if err := answered(wait, "wrong-key", http.StatusUnauthorized); err != nil {
		t.Fatal(err)
	}
	requireAtZero(t, ns, "keyed-00001")
	if r := send(http.MethodGet, host, "/", "X-Api-Key", "first-key"); r.code != http.StatusOK || r.body != "keyed\n" {
		t.Fatalf("with alice's key: %v, want 200 %q", r, "keyed\n")
	}

	keys := &keyTransport{next: httpClient.Transport}
	first, second := "first-key", "second-key"
	keys.key.Store(&first)
	client := &http.Client{Transport: keys}
	var rotated error
	rs := loadUntil(client, host, 50, 3*time.Minute, func(ctx context.Context) {
		rotated = func() error {
			secret.Data["alice-next"] = []byte(second)
			if err := suite.client.Update(ctx, secret); err != nil {
				return err
			}
			if err := answered(ctx, second, http.StatusOK); err != nil {
				return fmt.Errorf("new key: %w", err)
			}
			keys.key.Store(&second)
			poll.Sleep(ctx, 2*time.Second) // requests sent with the first key are answered
			delete(secret.Data, "alice")
			if err := suite.client.Update(ctx, secret); err != nil {
				return err
			}
			if err := answered(ctx, first, http.StatusUnauthorized); err != nil {
				return fmt.Errorf("removed key: %w", err)
			}
			poll.Sleep(ctx, 2*time.Second) // load with the second key alone
			return nil
		}()
	})
	if rotated != nil {
		t.Fatalf("rotation: %v", rotated)
	}
	ok := func(r response) bool { return r.err == nil && r.code == http.StatusOK }
	failed := 0
	for _, r := range rs {
		if !ok(r.response) {
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%d of %d requests with a valid key failed during the rotation, want 0; the first: %v", failed, len(rs), failuresByTime(rs, ok, 10))
	}
	t.Logf("rotation under load: %d requests, all answered 200", len(rs))
}
