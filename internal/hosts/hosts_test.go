package hosts

import (
	"strings"
	"testing"
)

const domain = "wake.example"

func TestNormalizeAndDomain(t *testing.T) {
	for _, tt := range []struct{ in, host, domain string }{
		{"api.example.org", "api.example.org", "api.example.org"},
		{" API.Example.ORG. ", "api.example.org", "api.example.org"},
		{"*.Example.org", "*.example.org", "*.example.org"},
		{"example.org..", "example.org.", "example.org"},
		// The activator used to trim leading dots of the domain and the
		// controller did not: the controller then found no owner for
		// "a.ns.example.org" under ".example.org" and let any namespace
		// claim it. Both trim them now.
		{".example.org", ".example.org", "example.org"},
		{"", "", ""},
	} {
		if got := Normalize(tt.in); got != tt.host {
			t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.host)
		}
		if got := Domain(tt.in); got != tt.domain {
			t.Errorf("Domain(%q) = %q, want %q", tt.in, got, tt.domain)
		}
	}
}

func TestParse(t *testing.T) {
	for _, tt := range []struct {
		raw, want string
		ok        bool
	}{
		{"api.example.org", "api.example.org", true},
		{"API.example.org.", "api.example.org", true},
		{" api.example.org ", "api.example.org", true},
		{"*.example.org", "*.example.org", true},
		{"localhost", "localhost", true},
		{"", "", false},
		{".", "", false},
		{"*.", "", false},
		{"bad host", "", false},
		{"*.*.io", "", false},
		{"a.*.io", "", false},
		{"api.example.org:80", "", false},
		{"a/b.io", "", false},
		{"[::1]", "", false},
		{"a..io", "", false},
		{".a.io", "", false},
		{"*..a.io", "", false},
		{strings.Repeat("a.", 125) + "iox", strings.Repeat("a.", 125) + "iox", true},
		{strings.Repeat("a.", 126) + "io", "", false},
	} {
		got, err := Parse(tt.raw)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("Parse(%q) = %q, %v; want %q, ok %v", tt.raw, got, err, tt.want, tt.ok)
		}
		if err != nil && err.Error() != `invalid host "`+tt.raw+`"` {
			t.Errorf("Parse(%q) error %q does not name the host", tt.raw, err)
		}
	}
}

func TestRequest(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"hello.ns.example.com", "hello.ns.example.com"},
		{"hello.ns.example.com:8080", "hello.ns.example.com"},
		{"Hello.NS.example.com.:80", "hello.ns.example.com"},
		{"hello.ns.example.com.", "hello.ns.example.com"},
		{"", ""},
		{":80", ""},
		{".", ""},
		{"[::1]:80", ""},
		{"[::1]", ""},
		{strings.Repeat("a", 253), strings.Repeat("a", 253)},
		{strings.Repeat("a", 254), ""},
		{strings.Repeat("a", 253) + ".:1", strings.Repeat("a", 253)},
	} {
		if got := Request(tt.in); got != tt.want {
			t.Errorf("Request(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestRequestDoesNotAllocate(t *testing.T) {
	var sink string
	for _, h := range []string{"hello.ns.example.com:80", "hello.ns.example.com.", "[::1]"} {
		if n := testing.AllocsPerRun(100, func() { sink = Request(h) }); n != 0 {
			t.Errorf("Request(%q): %v allocs", h, n)
		}
	}
	_ = sink
}

func TestMatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, host string
		want          bool
	}{
		{"api.example.org", "api.example.org", true},
		{"api.example.org", "x.api.example.org", false},
		{"*.example.org", "a.example.org", true},
		{"*.example.org", "a.b.example.org", true},
		{"*.example.org", "example.org", false},
		{"*.example.org", ".example.org", false},
		{"*.example.org", "aexample.org", false},
		{"*.example.org", "*.example.org", true},
		{"*.example.org", "*.a.example.org", true},
		{"api.example.org", "*.example.org", false},
	} {
		if got := Matches(tt.pattern, tt.host); got != tt.want {
			t.Errorf("Matches(%q, %q) = %v, want %v", tt.pattern, tt.host, got, tt.want)
		}
	}
}

func TestNames(t *testing.T) {
	for _, tt := range []struct{ got, want string }{
		{Function("hello", "team-a", "wake.example"), "hello.team-a.wake.example"},
		// The Function reconciler used the domain as configured for the
		// URL and the activator served it lowercased without dots: one
		// name now.
		{Function("hello", "team-a", "Wake.Example."), "hello.team-a.wake.example"},
		{Tag("canary", "api.example.com"), "canary-api.example.com"},
		{Tag("Canary", "api.example.com"), "canary-api.example.com"},
	} {
		if tt.got != tt.want {
			t.Errorf("got %q, want %q", tt.got, tt.want)
		}
	}
}

func TestNamespace(t *testing.T) {
	for _, tt := range []struct {
		host, domain, want string
		ok                 bool
	}{
		{"hello.team-a.wake.example", domain, "team-a", true},
		{"a.b.team-a.wake.example", domain, "team-a", true},
		{"*.team-a.wake.example", domain, "team-a", true},
		{"Hello.Team-A.Wake.Example.", "wake.example.", "team-a", true},
		{"a.team-a.wake.example", ".wake.example", "team-a", true},
		{"team-a.wake.example", domain, "", false},
		{"wake.example", domain, "", false},
		{"*.wake.example", domain, "", false},
		{"api.example.org", domain, "", false},
		{"hello.team-a.notwake.example", domain, "", false},
		{"hello.team-a.wake.example", "", "", false},
	} {
		got, ok := Namespace(tt.host, tt.domain)
		if got != tt.want || ok != tt.ok {
			t.Errorf("Namespace(%q, %q) = %q, %v; want %q, %v", tt.host, tt.domain, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRefuse(t *testing.T) {
	for _, tt := range []struct {
		host, ns, domain string
		want             string
	}{
		{"api.example.org", "team-a", domain, ""},
		{"hello.team-a.wake.example", "team-a", domain, ""},
		{"a.b.team-a.wake.example", "team-a", domain, ""},
		{"*.team-a.wake.example", "team-a", domain, ""},
		{"canary-hello.team-a.wake.example", "team-a", domain, ""},
		{"team-b.wake.example", "team-a", domain, ""},
		{"wake.example", "team-a", domain, ""},
		{"*.example.org", "team-a", domain, ""},
		{"hello.team-b.wake.example", "team-a", "", ""},
		{"hello.team-b.wake.example", "team-a", domain, `host "hello.team-b.wake.example" belongs to namespace "team-b"`},
		{"a.b.team-b.wake.example", "team-a", domain, `host "a.b.team-b.wake.example" belongs to namespace "team-b"`},
		{"*.team-b.wake.example", "team-a", domain, `host "*.team-b.wake.example" belongs to namespace "team-b"`},
		{"Hello.Team-B.wake.example.", "team-a", "Wake.Example.", `host "hello.team-b.wake.example" belongs to namespace "team-b"`},
		{"hello.team-b.wake.example", "team-a", ".wake.example", `host "hello.team-b.wake.example" belongs to namespace "team-b"`},
		// The activator did not refuse these (the controller did): a
		// wildcard over the whole domain catches every namespace's hosts
		// that are not served yet. Both refuse them now.
		{"*.wake.example", "team-a", domain, `host "*.wake.example" would cover every namespace's hosts under domain "wake.example"`},
		{"*.example", "team-a", domain, `host "*.example" would cover every namespace's hosts under domain "wake.example"`},
		{"*.Wake.Example.", "team-a", ".wake.example.", `host "*.wake.example" would cover every namespace's hosts under domain "wake.example"`},
		{"*.wake.example", "team-a", "", ""},
		{"*.ample", "team-a", domain, ""},
	} {
		if got := Refuse(tt.host, tt.ns, tt.domain); got != tt.want {
			t.Errorf("Refuse(%q, %q, %q) = %q, want %q", tt.host, tt.ns, tt.domain, got, tt.want)
		}
	}
}

func TestGranted(t *testing.T) {
	grants := []string{"shop.example.org", "*.apps.example.net", "Mixed.Example.COM."}
	for _, tt := range []struct {
		host string
		want bool
	}{
		{"shop.example.org", true},
		{"SHOP.example.org.", true},
		{"www.shop.example.org", false},
		{"canary-shop.example.org", false}, // a tag host needs its own grant
		{"example.org", false},
		{"*.example.org", false},
		{"*.shop.example.org", false}, // an exact grant never covers a wildcard
		{"a.apps.example.net", true},
		{"a.b.apps.example.net", true},
		{"*.apps.example.net", true},
		{"*.a.apps.example.net", true},
		{"apps.example.net", false},
		{"*.example.net", false},
		{"xapps.example.net", false},
		{"mixed.example.com", true},
	} {
		if got := Granted(tt.host, grants); got != tt.want {
			t.Errorf("Granted(%q) = %v, want %v", tt.host, got, tt.want)
		}
	}
	if Granted("shop.example.org", nil) {
		t.Error("no grant covers a host")
	}
}

func TestUngranted(t *testing.T) {
	grants := []string{"shop.example.org", "*.apps.example.net"}
	for _, tt := range []struct {
		host, ns string
		want     string
	}{
		{"hello.team-a.wake.example", "team-a", ""},
		{"*.team-a.wake.example", "team-a", ""},
		{"a.b.team-a.wake.example", "team-a", ""},
		{"shop.example.org", "team-a", ""},
		{"a.apps.example.net", "team-a", ""},
		{"api.example.org", "team-a", `host "api.example.org" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`},
		// Hosts directly under the domain belong to no namespace: they
		// need a grant too.
		{"team-a.wake.example", "team-a", `host "team-a.wake.example" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`},
		{"x.wake.example", "team-a", `host "x.wake.example" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`},
		// Another namespace's host is not "own": without a grant it is
		// ungranted (and Refuse refuses it anyway).
		{"hello.team-b.wake.example", "team-a", `host "hello.team-b.wake.example" is not granted to namespace "team-a": no DomainGrant gives it this host or a wildcard covering it`},
	} {
		if got := Ungranted(tt.host, tt.ns, domain, grants); got != tt.want {
			t.Errorf("Ungranted(%q, %q) = %q, want %q", tt.host, tt.ns, got, tt.want)
		}
	}
}

func TestOverlap(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want bool
	}{
		{"shop.example.org", "shop.example.org", true},
		{"Shop.example.org.", "shop.example.org", true},
		{"shop.example.org", "www.example.org", false},
		{"*.example.org", "shop.example.org", true},
		{"shop.example.org", "*.example.org", true},
		{"*.example.org", "*.eu.example.org", true},
		{"*.eu.example.org", "*.example.org", true},
		{"*.example.org", "example.org", false},
		{"*.example.org", "*.example.net", false},
	} {
		if got := Overlap(tt.a, tt.b); got != tt.want {
			t.Errorf("Overlap(%q, %q) = %v, want %v", tt.a, tt.b, got, tt.want)
		}
	}
}
