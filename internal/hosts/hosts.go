// Package hosts holds every rule about host names that the controllers and
// the activator must agree on: how a host is normalised and checked, the
// default host of a Function and the host of a traffic tag, which namespace
// owns a host under the cluster domain, why a namespace may not claim a
// host, and which hosts a domain grant covers.
//
// A divergence between the two planes is a tenancy bug (the controller
// would mark a Route as holding a host the activator refuses to serve, or
// the reverse), so both import this package and neither re-states a rule.
// It imports only the standard library (depguard keeps it so).
//
// # Rules
//
//   - A configured host or domain is compared trimmed of spaces, lowercased
//     and without its trailing dot (Normalize); a domain also loses leading
//     dots (Domain).
//   - A Route host is an exact DNS name or "*." followed by one; it has at
//     most 253 bytes and no "*", ":", "/", " ", "[", "]" or empty label
//     after the wildcard (Parse).
//   - A request's Host header is compared without its port and trailing dot,
//     lowercased; IPv6 literals, empty hosts and hosts over 253 bytes match
//     nothing (Request, which does not allocate for lowercase hosts).
//   - A wildcard "*.suffix" matches one or more labels in place of the "*":
//     "a.suffix" and "a.b.suffix", never "suffix" itself (Matches).
//   - A Function's default host is {name}.{namespace}.{domain} (Function);
//     a tag's host is {tag}-{host} for each exact host (Tag).
//   - A host "{labels}.{ns}.{domain}" or "*.{ns}.{domain}" belongs to
//     namespace ns (Namespace); a host directly under the domain or outside
//     it belongs to no namespace.
//   - A namespace may not claim another namespace's host, nor a wildcard
//     that covers the whole domain ("*.{domain}" or "*.{parent}"), which
//     would catch every namespace's hosts that are not served yet
//     (Refuse).
//   - Under the "claims" domain policy a namespace may use a host outside
//     its own ("{anything}.{ns}.{domain}") only when a grant to it covers
//     the host: an exact grant itself, a wildcard "*.suffix" what it
//     matches (Granted, Ungranted).
package hosts

import (
	"fmt"
	"strings"
)

// MaxLength is the longest host name, in bytes.
const MaxLength = 253

// WildcardPrefix starts a wildcard host.
const WildcardPrefix = "*."

// Normalize trims spaces, lowercases and drops one trailing dot.
func Normalize(host string) string {
	return strings.ToLower(strings.TrimSuffix(strings.TrimSpace(host), "."))
}

// Domain normalises the cluster domain: Normalize, and no leading or
// trailing dots.
func Domain(domain string) string {
	return strings.Trim(Normalize(domain), ".")
}

// Parse normalises a Route host and checks that it is an exact DNS name or
// a "*."-prefixed wildcard.
func Parse(raw string) (string, error) {
	name := Normalize(raw)
	rest := strings.TrimPrefix(name, WildcardPrefix)
	if rest == "" || len(name) > MaxLength || strings.ContainsAny(rest, "*:/ []") ||
		strings.Contains(rest, "..") || rest[0] == '.' {
		return "", fmt.Errorf("invalid host %q", raw)
	}
	return name, nil
}

// Request returns the host a request's Host header names: without its port
// and trailing dot, lowercased. It returns "" for hosts that cannot be DNS
// names (empty, IPv6 literals, over MaxLength bytes). It allocates only when
// the host has upper-case or non-ASCII bytes.
func Request(hostport string) string {
	h := hostport
	if h == "" || h[0] == '[' {
		return ""
	}
	if i := strings.LastIndexByte(h, ':'); i >= 0 {
		h = h[:i]
	}
	h = strings.TrimSuffix(h, ".")
	if len(h) > MaxLength {
		return ""
	}
	if hasUpper(h) {
		return lower(h)
	}
	return h
}

// lower is strings.ToLower kept out of Request's frame, so that the common
// lowercase host pays nothing for it.
//
//go:noinline
func lower(s string) string { return strings.ToLower(s) }

// hasUpper reports whether s may change under strings.ToLower.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; 'A' <= c && c <= 'Z' || c >= 0x80 {
			return true
		}
	}
	return false
}

// IsWildcard reports whether a normalised host starts with "*.".
func IsWildcard(host string) bool { return strings.HasPrefix(host, WildcardPrefix) }

// Matches reports whether the normalised pattern (an exact host or a
// "*.suffix" wildcard) matches the normalised exact host: an exact pattern
// only itself, a wildcard one or more labels in place of the "*".
func Matches(pattern, host string) bool {
	suffix, ok := strings.CutPrefix(pattern, WildcardPrefix)
	if !ok {
		return pattern == host
	}
	return len(host) > len(suffix)+1 && strings.HasSuffix(host, "."+suffix) && host[0] != '.'
}

// Function returns a Function's default host: {name}.{namespace}.{domain}.
func Function(name, namespace, domain string) string {
	return strings.ToLower(name + "." + namespace + "." + Domain(domain))
}

// Tag returns the host of a traffic tag on an exact host: {tag}-{host}.
func Tag(tag, host string) string { return strings.ToLower(tag) + "-" + host }

// Namespace returns the namespace that owns host under the cluster domain:
// a host "{labels}.{ns}.{domain}" or "*.{ns}.{domain}" belongs to ns. A host
// directly under the domain ("x.{domain}"), the domain itself, or a host
// outside it belongs to no namespace, and with no domain no host does.
func Namespace(host, domain string) (string, bool) {
	domain = Domain(domain)
	if domain == "" {
		return "", false
	}
	rest, ok := strings.CutSuffix(Normalize(host), "."+domain)
	if !ok {
		return "", false
	}
	if i := strings.LastIndexByte(rest, '.'); i >= 0 {
		return rest[i+1:], true
	}
	return "", false
}

// CoversDomain reports whether host is a wildcard that covers the whole
// cluster domain: "*.{domain}" or "*.{parent of domain}".
func CoversDomain(host, domain string) bool {
	host, domain = Normalize(host), Domain(domain)
	suffix, ok := strings.CutPrefix(host, WildcardPrefix)
	return ok && domain != "" && (domain == suffix || strings.HasSuffix(domain, "."+suffix))
}

// Refuse returns why namespace ns may not claim host, or "" when it may:
//
//   - a host under another namespace ("*.{other}.{domain}" included)
//     belongs to that namespace's Functions and Routes;
//   - a wildcard covering the whole domain would catch requests for every
//     namespace's hosts that are not served yet (a Function without a ready
//     revision, an unclaimed tag), so no namespace may claim it.
//
// A host under ns itself is allowed even when it is a Function's default
// host: a Route then overrides that Function's default routing.
func Refuse(host, ns, domain string) string {
	host = Normalize(host)
	if owner, ok := Namespace(host, domain); ok && owner != ns {
		return fmt.Sprintf("host %q belongs to namespace %q", host, owner)
	}
	if CoversDomain(host, domain) {
		return fmt.Sprintf("host %q would cover every namespace's hosts under domain %q", host, Domain(domain))
	}
	return ""
}

// Granted reports whether one of grants covers host: an exact grant covers
// only itself; a wildcard grant "*.suffix" covers the exact hosts it
// matches and the wildcard hosts "*.suffix" and "*.{labels}.suffix" (they
// match nothing it does not). Grants and host are normalised first.
func Granted(host string, grants []string) bool {
	host = Normalize(host)
	for _, g := range grants {
		g = Normalize(g)
		if g == host || IsWildcard(g) && Matches(g, host) {
			return true
		}
	}
	return false
}

// Ungranted returns why namespace ns may not use host under the claims
// policy, where grants are the domains granted to ns, or "" when it may:
// every namespace keeps its own hosts ({anything}.{ns}.{domain}) without a
// grant; any other host needs a grant that covers it (Granted). Refuse
// still applies on top.
func Ungranted(host, ns, domain string, grants []string) string {
	host = Normalize(host)
	if owner, ok := Namespace(host, domain); ok && owner == ns {
		return ""
	}
	if Granted(host, grants) {
		return ""
	}
	return fmt.Sprintf("host %q is not granted to namespace %q: no DomainGrant gives it this host or a wildcard covering it", host, ns)
}

// Overlap reports whether two grants' domains (exact hosts or "*.suffix"
// wildcards) have a host in common: equal, or one covers the other.
func Overlap(a, b string) bool {
	return Granted(a, []string{b}) || Granted(b, []string{a})
}
