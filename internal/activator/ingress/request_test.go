package ingress

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
)

func TestCheckRequest(t *testing.T) {
	tests := []struct {
		name, target, host string
		code               int
		path, escaped      string // after the check
	}{
		{name: "plain", target: "/a/b?q=1", host: "fn.test", path: "/a/b", escaped: "/a/b"},
		{name: "dot-dot", target: "/public/../admin", host: "fn.test", path: "/admin", escaped: "/admin"},
		{name: "dot", target: "/./a/./b/.", host: "fn.test", path: "/a/b/", escaped: "/a/b/"},
		{name: "above root", target: "/../../a", host: "fn.test", path: "/a", escaped: "/a"},
		{name: "trailing dot-dot", target: "/a/b/..", host: "fn.test", path: "/a/", escaped: "/a/"},
		{name: "encoded dots", target: "/a/%2e%2E/b/.%2e/c", host: "fn.test", path: "/c", escaped: "/c"},
		{name: "double slash kept", target: "/a//../b", host: "fn.test", path: "/a/b", escaped: "/a/b"},
		{name: "other escapes kept", target: "/x/../a%3Bb/%41", host: "fn.test", path: "/a;b/A", escaped: "/a%3Bb/%41"},
		{name: "dots in names are not segments", target: "/a/..b/.c/d..", host: "fn.test", path: "/a/..b/.c/d..", escaped: "/a/..b/.c/d.."},
		{name: "encoded slash", target: "/a%2Fb", host: "fn.test", code: 400},
		{name: "encoded slash lower case", target: "/a%2fb", host: "fn.test", code: 400},
		{name: "encoded backslash", target: "/a%5Cb", host: "fn.test", code: 400},
		{name: "backslash", target: "/a\\b", host: "fn.test", code: 400},
		{name: "NUL", target: "/a%00b", host: "fn.test", code: 400},
		{name: "non-ASCII host", target: "/", host: "f\u00e9.test", code: 400},
		{name: "host with path", target: "/", host: "fn.test/x", code: 400},
		{name: "host with space", target: "/", host: "fn test", code: 400},
		{name: "long host", target: "/", host: string(make([]byte, 301)), code: 400},
		{name: "IPv6 host", target: "/", host: "[::1]:8080", path: "/", escaped: "/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", tt.target, nil)
			r.Host = tt.host
			code, msg := CheckRequest(r)
			if code != tt.code {
				t.Fatalf("code %d (%s), want %d", code, msg, tt.code)
			}
			if code != 0 {
				return
			}
			if r.URL.Path != tt.path || r.URL.EscapedPath() != tt.escaped {
				t.Errorf("path %q escaped %q, want %q %q", r.URL.Path, r.URL.EscapedPath(), tt.path, tt.escaped)
			}
		})
	}
}

func TestCloseIfUpgrade(t *testing.T) {
	h := CloseIfUpgrade(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {}))
	for _, tc := range []struct {
		upgrade bool
		want    string
	}{{false, ""}, {true, "close"}} {
		r := httptest.NewRequest("GET", "/", nil)
		if tc.upgrade {
			r.Header.Set("Upgrade", "websocket")
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if got := w.Header().Get("Connection"); got != tc.want {
			t.Errorf("upgrade=%v: Connection %q, want %q", tc.upgrade, got, tc.want)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	var tp TrustedProxies
	if tp.Contains("10.1.2.3:80") {
		t.Fatal("empty set trusts")
	}
	tp.Set([]netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/64")})
	for addr, want := range map[string]bool{
		"10.1.2.3:80": true, "[::ffff:10.1.2.3]:80": true, "[fd00::5]:1": true,
		"11.0.0.1:80": false, "[fd01::5]:1": false, "garbage": false, "": false,
	} {
		if got := tp.Contains(addr); got != want {
			t.Errorf("Contains(%q) = %v, want %v", addr, got, want)
		}
	}
	tp.Set(nil) // runtime update
	if tp.Contains("10.1.2.3:80") {
		t.Error("still trusted after the set was emptied")
	}
}
