package kubectlwake_test

import (
	"context"
	"maps"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/route/resolve"
	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/fixture"
)

// withKeyHeader adds a header the route-wide apiKeys policy reads.
func withKeyHeader(h string) fixture.RouteOption {
	return func(rt *servingv1alpha1.Route) {
		rt.Spec.Policies.APIKeys.ExtractFrom = append(rt.Spec.Policies.APIKeys.ExtractFrom,
			servingv1alpha1.APIKeyExtractFrom{Headers: []servingv1alpha1.CORSHeaderName{servingv1alpha1.CORSHeaderName(h)}})
	}
}

// activatorCheck reads Secret ns/name as Wake does (the controller hashes
// it into a mirror, the activators read the mirror) and checks a request
// carrying secret in X-Api-Key with the activator's own parser: the client
// it names and the outcome.
func activatorCheck(t *testing.T, ns, name, secret string) (string, apikey.Outcome) {
	t.Helper()
	src := &corev1.Secret{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: name}, src); err != nil {
		t.Fatal(err)
	}
	clients, empty := resolve.HashedClients(src)
	if len(empty) > 0 {
		t.Errorf("clients without a secret: %v", empty)
	}
	mirror := corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Namespace:   "wake-system",
			Name:        resolve.MirrorName(ns, name),
			Labels:      map[string]string{servingv1alpha1.CredentialsMirrorLabelKey: servingv1alpha1.CredentialsMirrorLabelValue},
			Annotations: map[string]string{servingv1alpha1.CredentialsNamespaceAnnotationKey: ns, servingv1alpha1.CredentialsNameAnnotationKey: name},
		},
		Data: clients,
	}
	creds := feed.CredentialsOf([]corev1.Secret{mirror})
	p, ambiguous := apikey.New(apikey.Config{Clients: creds[types.NamespacedName{Namespace: ns, Name: name}], Headers: []string{"X-Api-Key"}, Basic: true})
	if len(ambiguous) > 0 {
		t.Errorf("clients sharing a secret: %v", ambiguous)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-Api-Key", secret)
	return p.Check(r)
}

// created checks a successful apikey create: the secret printed once, alone
// on standard output, never on the error output, and returns it.
func created(t *testing.T, stdout, stderr string, err error) string {
	t.Helper()
	if err != nil {
		t.Fatalf("apikey create: %v\n%s", err, stderr)
	}
	secret := strings.TrimSuffix(stdout, "\n")
	if strings.Count(stdout, "\n") != 1 || len(secret) != 43 {
		t.Fatalf("standard output %q, want one 43-character secret", stdout)
	}
	if strings.Contains(stderr, secret) {
		t.Errorf("the secret is on the error output too:\n%s", stderr)
	}
	return secret
}

// TestAPIKeyCreate creates, refuses to overwrite, rotates and adds clients
// in the Secret a Route's apiKeys policy names, and checks each secret
// with the activator's parser.
func TestAPIKeyCreate(t *testing.T) {
	c := apiServer(t, "apikey")
	c.create(t,
		fixture.Route(c.ns, "api", fixture.WithHosts("api.example.com"), fixture.WithRule(fixture.ToFunction("hello", 100, "")),
			fixture.WithAPIKeys("api-clients"), withKeyHeader("X-Api-Key")),
		fixture.Route(c.ns, "two", fixture.WithHosts("two.example.com"), fixture.WithRule(fixture.ToFunction("hello", 100, "")),
			fixture.WithAPIKeys("a-clients", "b-clients")),
		fixture.Route(c.ns, "open", fixture.WithHosts("open.example.com"), fixture.WithRule(fixture.ToFunction("hello", 100, ""))),
	)

	// A new client in a new Secret.
	stdout, stderr, err := c.run(t, "apikey", "create", "api", "website")
	website := created(t, stdout, stderr, err)
	for _, want := range []string{
		`Client "website" created in the new Secret apikey/api-clients.`,
		"Route api takes it in the header X-Api-Key: <secret>, or as Basic credentials website:<secret>.",
		"printed once",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("error output lacks %q:\n%s", want, stderr)
		}
	}
	if client, o := activatorCheck(t, c.ns, "api-clients", website); client != "website" || o != apikey.Accepted {
		t.Errorf("the activator finds client %q, %v; want website, accepted", client, o)
	}

	// The same client again: refused, the Secret left alone.
	stdout, _, err = c.run(t, "apikey", "create", "api", "website")
	if err == nil || !strings.Contains(err.Error(), `client "website" exists in Secret apikey/api-clients: pass --rotate`) {
		t.Errorf("error %v, want a refusal naming --rotate", err)
	}
	if stdout != "" {
		t.Errorf("printed %q after refusing", stdout)
	}
	if _, o := activatorCheck(t, c.ns, "api-clients", website); o != apikey.Accepted {
		t.Errorf("after a refusal the first secret is %v, want accepted", o)
	}

	// Rotated: the new secret works, the old one no longer does.
	stdout, stderr, err = c.run(t, "apikey", "create", "api", "website", "--rotate")
	rotated := created(t, stdout, stderr, err)
	if rotated == website || !strings.Contains(stderr, `Client "website" rotated in Secret apikey/api-clients.`) {
		t.Errorf("rotation gave %q (first %q):\n%s", rotated, website, stderr)
	}
	if _, o := activatorCheck(t, c.ns, "api-clients", website); o != apikey.Wrong {
		t.Errorf("the old secret is %v after rotation, want wrong", o)
	}
	if client, o := activatorCheck(t, c.ns, "api-clients", rotated); client != "website" || o != apikey.Accepted {
		t.Errorf("the rotated secret gives %q, %v; want website, accepted", client, o)
	}

	// A second client beside the first.
	stdout, stderr, err = c.run(t, "apikey", "create", "api", "acme")
	acme := created(t, stdout, stderr, err)
	if client, o := activatorCheck(t, c.ns, "api-clients", acme); client != "acme" || o != apikey.Accepted {
		t.Errorf("acme's secret gives %q, %v", client, o)
	}
	if _, o := activatorCheck(t, c.ns, "api-clients", rotated); o != apikey.Accepted {
		t.Errorf("website's secret is %v after acme was added", o)
	}
	src := &corev1.Secret{}
	if err := k8s.Get(context.Background(), types.NamespacedName{Namespace: c.ns, Name: "api-clients"}, src); err != nil {
		t.Fatal(err)
	}
	if keys := slices.Sorted(maps.Keys(src.Data)); !slices.Equal(keys, []string{"acme", "website"}) || src.Type != corev1.SecretTypeOpaque {
		t.Errorf("Secret has clients %v of type %s, want acme and website, Opaque", keys, src.Type)
	}

	// --secret alone, without a Route.
	stdout, stderr, err = c.run(t, "apikey", "create", "--secret", "loose-clients", "trial-42")
	loose := created(t, stdout, stderr, err)
	if client, o := activatorCheck(t, c.ns, "loose-clients", loose); client != "trial-42" || o != apikey.Accepted {
		t.Errorf("--secret alone gives %q, %v", client, o)
	}
	// --secret that the Route does not name: written, with a warning.
	stdout, stderr, err = c.run(t, "apikey", "create", "two", "x", "--secret", "other")
	created(t, stdout, stderr, err)
	if !strings.Contains(stderr, "Warning: Route two's apiKeys policies do not name Secret other") {
		t.Errorf("no warning for a Secret the Route does not name:\n%s", stderr)
	}

	refusals := []struct {
		args []string
		want string
	}{
		{[]string{"apikey", "create", "two", "x"}, "route two names several credential Secrets (a-clients, b-clients): choose one with --secret"},
		{[]string{"apikey", "create", "open", "x"}, "route open has no apiKeys policy naming a credential Secret"},
		{[]string{"apikey", "create", "api", "no/slash"}, `client ID "no/slash" is not valid`},
		{[]string{"apikey", "create", "website"}, "name the Route"},
	}
	for _, r := range refusals {
		stdout, _, err := c.run(t, r.args...)
		if err == nil || !strings.Contains(err.Error(), r.want) {
			t.Errorf("%v: error %v, want %q", r.args, err, r.want)
		}
		if stdout != "" {
			t.Errorf("%v printed %q", r.args, stdout)
		}
	}
}
