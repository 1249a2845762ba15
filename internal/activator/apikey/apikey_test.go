package apikey_test

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/wakefn/wake/internal/activator/apikey"
)

func basic(id, secret string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(id+":"+secret))
}

func TestCheck(t *testing.T) {
	clients := map[string]apikey.Hash{
		"alice": apikey.HashOf([]byte("s3cret-a")),
		"bob":   apikey.HashOf([]byte("s3cret-b")),
	}
	all := apikey.Config{Clients: clients, Headers: []string{"X-Api-Key", "Authorization"}, Params: []string{"api_key"}, Basic: true}
	onlyBob := all
	onlyBob.Allowed = []string{"bob"}
	tests := []struct {
		name    string
		cfg     apikey.Config
		url     string
		headers map[string]string
		client  string
		outcome apikey.Outcome
		query   string // the query the function gets
	}{
		{"header", all, "/x", map[string]string{"X-Api-Key": "s3cret-a"}, "alice", apikey.Accepted, ""},
		{"bearer", all, "/x", map[string]string{"Authorization": "Bearer s3cret-b"}, "bob", apikey.Accepted, ""},
		{"query parameter, others kept as sent", all, "/x?a=1&api_key=s3cret-a&b=%2F", nil, "alice", apikey.Accepted, "a=1&b=%2F"},
		{"encoded query parameter", all, "/x?api%5Fkey=s3cret%2Da", nil, "alice", apikey.Accepted, ""},
		{"basic", all, "/x", map[string]string{"Authorization": basic("bob", "s3cret-b")}, "bob", apikey.Accepted, ""},
		{"basic with another client's secret", all, "/x", map[string]string{"Authorization": basic("bob", "s3cret-a")}, "", apikey.Wrong, ""},
		{"basic for an unknown client", all, "/x", map[string]string{"Authorization": basic("eve", "s3cret-a")}, "", apikey.Wrong, ""},
		{"wrong secret", all, "/x", map[string]string{"X-Api-Key": "guess"}, "", apikey.Wrong, ""},
		{"none", all, "/x?q=1", nil, "", apikey.Missing, "q=1"},
		{"empty header", all, "/x", map[string]string{"X-Api-Key": ""}, "", apikey.Missing, ""},
		{"a header not configured", all, "/x", map[string]string{"X-Other-Key": "s3cret-a"}, "", apikey.Missing, ""},
		// Authorization is then the function's: it stays.
		{"basic not accepted", apikey.Config{Clients: clients, Headers: []string{"X-Api-Key"}}, "/x", map[string]string{"Authorization": basic("bob", "s3cret-b")}, "", apikey.Missing, ""},
		{"client not allowed on the rule", onlyBob, "/x", map[string]string{"X-Api-Key": "s3cret-a"}, "alice", apikey.NotAllowed, ""},
		{"allowed client", onlyBob, "/x", map[string]string{"X-Api-Key": "s3cret-b"}, "bob", apikey.Accepted, ""},
		{"a client header sent by the client is replaced", all, "/x", map[string]string{"X-Api-Key": "s3cret-a", "Wake-Client-Id": "bob"}, "alice", apikey.Accepted, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, ambiguous := apikey.New(tc.cfg)
			if len(ambiguous) > 0 {
				t.Fatalf("ambiguous: %v", ambiguous)
			}
			r := httptest.NewRequest(http.MethodGet, "http://api.test"+tc.url, nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			client, o := p.Check(r)
			if client != tc.client || o != tc.outcome {
				t.Fatalf("Check = %q %v, want %q %v", client, o, tc.client, tc.outcome)
			}
			places := slices.Clone(tc.cfg.Headers)
			if tc.cfg.Basic {
				places = append(places, "Authorization")
			}
			for _, h := range places {
				if v := r.Header.Get(h); v != "" {
					t.Errorf("credential header %s left on the request: %q", h, v)
				}
			}
			if r.URL.RawQuery != tc.query {
				t.Errorf("query = %q, want %q", r.URL.RawQuery, tc.query)
			}
			wantHeader := ""
			if o == apikey.Accepted {
				wantHeader = tc.client
			}
			if got := r.Header.Get(apikey.DefaultClientHeader); got != wantHeader {
				t.Errorf("%s = %q, want %q", apikey.DefaultClientHeader, got, wantHeader)
			}
		})
	}
}

func TestOutcomeStatus(t *testing.T) {
	for o, want := range map[apikey.Outcome]int{apikey.Accepted: 200, apikey.Missing: 401, apikey.Wrong: 401, apikey.NotAllowed: 403} {
		if got := o.Status(); got != want {
			t.Errorf("%v.Status() = %d, want %d", o, got, want)
		}
	}
}

// TestSharedSecrets: two clients with one secret cannot be told apart by
// it: the secret alone is refused, Basic still names them.
func TestSharedSecrets(t *testing.T) {
	same := apikey.HashOf([]byte("same"))
	p, ambiguous := apikey.New(apikey.Config{
		Clients: map[string]apikey.Hash{"a": same, "b": same, "c": apikey.HashOf([]byte("other"))},
		Headers: []string{"X-Api-Key"}, Basic: true,
	})
	if !slices.Equal(ambiguous, []string{"a", "b"}) {
		t.Errorf("ambiguous = %v, want [a b]", ambiguous)
	}
	r := httptest.NewRequest(http.MethodGet, "http://api.test/", nil)
	r.Header.Set("X-Api-Key", "same")
	if client, o := p.Check(r); o != apikey.Wrong {
		t.Errorf("shared secret alone: %q %v, want Wrong", client, o)
	}
	r.Header.Set("Authorization", basic("b", "same"))
	if client, o := p.Check(r); client != "b" || o != apikey.Accepted {
		t.Errorf("shared secret with Basic: %q %v, want b Accepted", client, o)
	}
}

func BenchmarkCheck(b *testing.B) {
	clients := map[string]apikey.Hash{}
	for i := range 1000 {
		clients[string(rune('a'+i%26))+string(rune('0'+i))] = apikey.HashOf([]byte{byte(i), byte(i >> 8), 'k'})
	}
	clients["bench"] = apikey.HashOf([]byte("bench-secret"))
	p, _ := apikey.New(apikey.Config{Clients: clients, Headers: []string{"X-Api-Key"}})
	r := httptest.NewRequest(http.MethodGet, "http://api.test/", nil)
	b.ReportAllocs()
	for b.Loop() {
		r.Header["X-Api-Key"] = []string{"bench-secret"}
		if _, o := p.Check(r); o != apikey.Accepted {
			b.Fatal(o)
		}
	}
}
