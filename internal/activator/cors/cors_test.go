package cors_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/wakefn/wake/internal/activator/cors"
)

func TestAllows(t *testing.T) {
	p := cors.New(cors.Config{AllowOrigins: []string{
		"https://app.example.com", "http://localhost:3000", "https://*.example.org", "http://plain.test:80", "https://tls.test:443",
	}})
	tests := []struct {
		origin string
		want   bool
	}{
		{"https://app.example.com", true},
		{"HTTPS://APP.Example.com", true}, // origins compare lowercased
		{"https://app.example.com:443", true},
		{"http://app.example.com", false},       // another scheme
		{"https://app.example.com:8443", false}, // another port
		{"https://other.example.com", false},
		{"http://localhost:3000", true},
		{"http://localhost", false},
		{"https://a.example.org", true},
		{"https://a.b.example.org", true},
		{"https://example.org", false}, // "*." needs at least one label
		{"https://xexample.org", false},
		{"http://a.example.org", false},
		{"http://plain.test", true}, // default ports are dropped on both sides
		{"https://tls.test", true},
		{"null", false},
		{"", false},
		{"https://app.example.com/path", false},
		{"https://user@app.example.com", false},
	}
	for _, tc := range tests {
		if got := p.Allows(tc.origin); got != tc.want {
			t.Errorf("Allows(%q) = %v, want %v", tc.origin, got, tc.want)
		}
	}
	every := cors.New(cors.Config{AllowOrigins: []string{"*"}})
	if !every.Allows("null") || !every.Allows("https://x.test") || every.Allows("") {
		t.Error(`"*" must allow every origin sent, and no request without one`)
	}
	if none := cors.New(cors.Config{}); none.Allows("https://x.test") {
		t.Error("no origins must allow none")
	}
}

func TestPreflight(t *testing.T) {
	const origin = "https://app.test"
	tests := []struct {
		name          string
		cfg           cors.Config
		origin        string
		asksMethod    string
		asksHeaders   string
		code          int
		want          map[string]string // "" means absent
		wantNoHeaders bool
	}{{
		name:       "listed",
		cfg:        cors.Config{AllowOrigins: []string{origin}, AllowMethods: []string{"GET", "PUT"}, AllowHeaders: []string{"X-Key", "Content-Type"}, MaxAgeSeconds: 600},
		origin:     origin,
		asksMethod: "PUT", asksHeaders: "x-key",
		code: http.StatusNoContent,
		want: map[string]string{
			cors.HeaderAllowOrigin: origin, cors.HeaderAllowMethods: "GET, PUT", cors.HeaderAllowHeaders: "X-Key, Content-Type",
			cors.HeaderMaxAge: "600", cors.HeaderAllowCredentials: "", "Vary": "Origin, Access-Control-Request-Method, Access-Control-Request-Headers",
		},
	}, {
		name:       "wildcards without credentials are sent as such",
		cfg:        cors.Config{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}},
		origin:     origin,
		asksMethod: "DELETE", asksHeaders: "x-a, x-b",
		code: http.StatusNoContent,
		want: map[string]string{cors.HeaderAllowOrigin: "*", cors.HeaderAllowMethods: "*", cors.HeaderAllowHeaders: "*", cors.HeaderMaxAge: "5"},
	}, {
		name:       "wildcards with credentials send back what was asked",
		cfg:        cors.Config{AllowOrigins: []string{"*"}, AllowMethods: []string{"*"}, AllowHeaders: []string{"*"}, AllowCredentials: true},
		origin:     origin,
		asksMethod: "DELETE", asksHeaders: "x-a, x-b",
		code: http.StatusNoContent,
		want: map[string]string{cors.HeaderAllowOrigin: origin, cors.HeaderAllowMethods: "DELETE", cors.HeaderAllowHeaders: "x-a, x-b", cors.HeaderAllowCredentials: "true"},
	}, {
		name:       "origin not allowed",
		cfg:        cors.Config{AllowOrigins: []string{"https://other.test"}, AllowMethods: []string{"GET"}},
		origin:     origin,
		asksMethod: "GET",
		code:       http.StatusForbidden,
		want:       map[string]string{cors.HeaderAllowOrigin: "", cors.HeaderAllowMethods: "", cors.HeaderMaxAge: ""},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodOptions, "http://api.test/x", nil)
			r.Header.Set(cors.HeaderOrigin, tc.origin)
			r.Header.Set(cors.HeaderRequestMethod, tc.asksMethod)
			if tc.asksHeaders != "" {
				r.Header.Set(cors.HeaderRequestHeaders, tc.asksHeaders)
			}
			if !cors.IsPreflight(r) {
				t.Fatal("IsPreflight = false")
			}
			w := httptest.NewRecorder()
			if code := cors.New(tc.cfg).Preflight(w, r); code != tc.code || w.Code != tc.code {
				t.Fatalf("Preflight returned %d and wrote %d, want %d", code, w.Code, tc.code)
			}
			for k, v := range tc.want {
				if got := w.Header().Get(k); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}

func TestIsPreflight(t *testing.T) {
	tests := []struct {
		method, origin, asks string
		want                 bool
	}{
		{http.MethodOptions, "https://a.test", "PUT", true},
		{http.MethodOptions, "", "PUT", false},
		{http.MethodOptions, "https://a.test", "", false},
		{http.MethodGet, "https://a.test", "PUT", false},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(tc.method, "http://api.test/", nil)
		if tc.origin != "" {
			r.Header.Set(cors.HeaderOrigin, tc.origin)
		}
		if tc.asks != "" {
			r.Header.Set(cors.HeaderRequestMethod, tc.asks)
		}
		if got := cors.IsPreflight(r); got != tc.want {
			t.Errorf("%s origin %q asks %q: IsPreflight = %v, want %v", tc.method, tc.origin, tc.asks, got, tc.want)
		}
	}
}

func TestRespond(t *testing.T) {
	listed := cors.Config{AllowOrigins: []string{"https://app.test"}, ExposeHeaders: []string{"X-Total", "ETag"}}
	tests := []struct {
		name   string
		cfg    cors.Config
		origin string
		vary   string // Vary set before, as a function's would be
		want   map[string]string
	}{
		{"allowed", listed, "https://app.test", "", map[string]string{
			cors.HeaderAllowOrigin: "https://app.test", cors.HeaderExposeHeaders: "X-Total, ETag", "Vary": "Origin",
		}},
		{"a Vary set before is kept", listed, "https://app.test", "Accept-Encoding", map[string]string{"Vary": "Accept-Encoding, Origin"}},
		{"not allowed", listed, "https://evil.test", "", map[string]string{cors.HeaderAllowOrigin: "", cors.HeaderExposeHeaders: "", "Vary": ""}},
		{"no origin", listed, "", "", map[string]string{cors.HeaderAllowOrigin: ""}},
		{"every origin without credentials", cors.Config{AllowOrigins: []string{"*"}}, "https://x.test", "", map[string]string{
			cors.HeaderAllowOrigin: "*", "Vary": "", cors.HeaderAllowCredentials: "",
		}},
		{"every origin with credentials", cors.Config{AllowOrigins: []string{"*"}, AllowCredentials: true}, "https://x.test", "", map[string]string{
			cors.HeaderAllowOrigin: "https://x.test", "Vary": "Origin", cors.HeaderAllowCredentials: "true",
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{}
			if tc.vary != "" {
				h.Set("Vary", tc.vary)
			}
			cors.New(tc.cfg).Respond(h, tc.origin)
			for k, v := range tc.want {
				if got := strings.Join(h.Values(k), ", "); got != v {
					t.Errorf("%s = %q, want %q", k, got, v)
				}
			}
		})
	}
}
