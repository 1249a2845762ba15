package handler_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wakefn/wake/internal/activator/apikey"
	"github.com/wakefn/wake/internal/activator/routing"
)

// keysRoute is host "keys.test" → rev, requiring an X-Api-Key of alice's or
// bob's, and allowing alice only.
func keysRoute(rev routing.TrafficInput) routing.RouteInput {
	return routing.RouteInput{Namespace: "ns", Name: "keys", Hosts: []string{"keys.test"}, Rules: []routing.RuleInput{{
		Traffic: []routing.TrafficInput{rev},
		APIKeys: &apikey.Config{
			Clients: map[string]apikey.Hash{"alice": apikey.HashOf([]byte("a-secret")), "bob": apikey.HashOf([]byte("b-secret"))},
			Headers: []string{"X-Api-Key"}, Allowed: []string{"alice"},
		},
	}}}
}

// TestRefusedCredentialsDoNotWake: a request without a credential, with a
// wrong one, or from a client the rule does not allow is answered 401 or
// 403 by the activator while the revision has no pod, without waking it.
func TestRefusedCredentialsDoNotWake(t *testing.T) {
	e := newEnv(t)
	cold := e.revision("cold", 0, 0, 0)
	e.addRoute(keysRoute(routing.TrafficInput{Revision: cold, Percent: 100}))
	tests := []struct {
		name      string
		hdr       []string
		code      int
		challenge bool
	}{
		{"none", nil, http.StatusUnauthorized, true},
		{"wrong", []string{"X-Api-Key", "guess"}, http.StatusUnauthorized, true},
		{"client not allowed", []string{"X-Api-Key", "b-secret"}, http.StatusForbidden, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, h, _ := e.send(http.MethodGet, "keys.test", "/", tc.hdr...)
			if code != tc.code || (h.Get("WWW-Authenticate") != "") != tc.challenge {
				t.Fatalf("got %d WWW-Authenticate %q, want %d (challenge: %v)", code, h.Get("WWW-Authenticate"), tc.code, tc.challenge)
			}
		})
	}
	if n := e.coldStarts(); n != 0 {
		t.Errorf("refused requests woke the revision %d times, want 0", n)
	}
}

// TestAcceptedCredentialReachesFunctionAsClientID: the function gets the
// client's ID and not its secret.
func TestAcceptedCredentialReachesFunctionAsClientID(t *testing.T) {
	e := newEnv(t)
	be := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, r.Header.Get(apikey.DefaultClientHeader)+"|"+r.Header.Get("X-Api-Key"))
	}))
	defer be.Close()
	warm := e.revision("warm", 0, 0, 0, hostOf(be))
	e.addRoute(keysRoute(routing.TrafficInput{Revision: warm, Percent: 100}))
	code, _, body := e.send(http.MethodGet, "keys.test", "/", "X-Api-Key", "a-secret", apikey.DefaultClientHeader, "bob")
	if code != http.StatusOK || body != "alice|" {
		t.Fatalf("got %d %q, want 200 %q", code, body, "alice|")
	}
}

// TestForwardedRequestKeepsItsClient: a keyed request that the activator
// without a share forwards to the owner is served there (the owner does
// not ask again for the credential the first one removed).
func TestForwardedRequestKeepsItsClient(t *testing.T) {
	pod := newCCOnePod(t)
	zero, owner := twoActivators(t, hostOf(pod.Server))
	fn := routing.TrafficInput{Revision: zero.revs[0].Key, Percent: 100}
	for _, e := range []*env{zero, owner} {
		e.addRoute(keysRoute(fn))
	}
	if code, _, body := zero.send(http.MethodGet, "keys.test", "/", "X-Api-Key", "a-secret"); code != http.StatusOK || body != "ok" {
		t.Fatalf("via the activator without a share: %d %q, want 200 ok", code, body)
	}
	if code, _, _ := zero.send(http.MethodGet, "keys.test", "/"); code != http.StatusUnauthorized {
		t.Fatalf("without a key: %d, want 401", code)
	}
}
