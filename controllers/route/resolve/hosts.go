package resolve

import (
	"fmt"
	"slices"
	"strings"

	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/hosts"
)

// Refusal is one host a Route may not hold.
type Refusal struct {
	// Host is the refused host or tag host.
	Host string
	// Holder is the older Route that holds the host; empty when the host
	// is refused because of its namespace.
	Holder types.NamespacedName
	// Message says why, for the HostsClaimed condition.
	Message string
	// NotGranted is true when the host is refused because no DomainGrant
	// gives it to the Route's namespace (the claims policy).
	NotGranted bool
}

// Policy is the domain policy a host is arbitrated under.
type Policy struct {
	// Claims is true under wake-config's domain-policy "claims": a host
	// outside a namespace's own needs a grant (hosts.Ungranted). False is
	// "first-come": no grant is needed.
	Claims bool
	// Grants maps each namespace to the domains DomainGrants give it; read
	// only when Claims is set.
	Grants map[string][]string
}

// ungranted returns why ns may not use host under p, or "".
func (p Policy) ungranted(host, ns, domain string) string {
	if !p.Claims {
		return ""
	}
	return hosts.Ungranted(host, ns, domain, p.Grants[ns])
}

// ClaimedHosts returns every host rt asks for, lowercased and without
// duplicates: its hosts in spec order, then the tag host {tag}-{host} of
// each tag for each exact host (the activator serves tags on every exact
// host, never on wildcards).
func ClaimedHosts(rt *servingv1alpha1.Route) []string {
	var out []string
	seen := map[string]bool{}
	add := func(h string) {
		if !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	var exact []string
	for _, h := range rt.Spec.Hosts {
		name := hosts.Normalize(string(h))
		add(name)
		if !hosts.IsWildcard(name) {
			exact = append(exact, name)
		}
	}
	tags := Tags(rt)
	for _, h := range exact {
		for _, tag := range tags {
			add(hosts.Tag(tag, h))
		}
	}
	return out
}

// Tags returns the tags of rt's traffic targets, in spec order, without
// duplicates.
func Tags(rt *servingv1alpha1.Route) []string {
	var tags []string
	for _, rule := range rt.Spec.Rules {
		for _, t := range rule.Traffic {
			if tag := strings.ToLower(t.Tag); tag != "" && !slices.Contains(tags, tag) {
				tags = append(tags, tag)
			}
		}
	}
	return tags
}

// Older reports whether a's claims come before b's: the earlier
// creationTimestamp wins, then the smaller namespace, then the smaller name.
func Older(a, b *servingv1alpha1.Route) bool {
	if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
		return a.CreationTimestamp.Before(&b.CreationTimestamp)
	}
	if a.Namespace != b.Namespace {
		return a.Namespace < b.Namespace
	}
	return a.Name < b.Name
}

// ArbitrateHosts returns the hosts of ClaimedHosts(rt) that rt may not
// hold, in that order. A host belongs to the oldest Route (Older) that asks
// for it and may claim it (hosts.Refuse and, under the claims policy,
// hosts.Ungranted), across all namespaces; Routes being deleted do not
// count. A Route whose namespace lacks a grant never holds the host, so an
// ungranted older Route does not keep a granted newer one out. A host that hosts.Parse refuses is refused,
// since the activator would not serve it. Others may include rt itself (it
// is skipped) and Routes sharing no host with it.
//
// Hosts are compared as exact strings: "*.example.com" conflicts only with
// "*.example.com", and an exact host never conflicts with a wildcard that
// covers it (the exact host wins at request time).
//
// Each host is decided on its own: a Route keeps the hosts it is oldest for
// even when it loses another one (and so is not served). That keeps every
// decision local to one host's claimants and stable: no Route's outcome
// depends on a third Route's outcome, and a host does not change hands
// because its holder lost an unrelated host.
func ArbitrateHosts(rt *servingv1alpha1.Route, others []servingv1alpha1.Route, domain string, policy Policy) []Refusal {
	self := types.NamespacedName{Namespace: rt.Namespace, Name: rt.Name}
	claims := make([]map[string]bool, len(others))
	for i := range others {
		o := &others[i]
		if (types.NamespacedName{Namespace: o.Namespace, Name: o.Name}) == self || !o.DeletionTimestamp.IsZero() {
			continue
		}
		claims[i] = map[string]bool{}
		for _, h := range ClaimedHosts(o) {
			claims[i][h] = true
		}
	}
	var out []Refusal
	for _, h := range ClaimedHosts(rt) {
		if _, err := hosts.Parse(h); err != nil {
			out = append(out, Refusal{Host: h, Message: err.Error()})
			continue
		}
		if why := hosts.Refuse(h, rt.Namespace, domain); why != "" {
			out = append(out, Refusal{Host: h, Message: why})
			continue
		}
		if why := policy.ungranted(h, rt.Namespace, domain); why != "" {
			out = append(out, Refusal{Host: h, Message: why, NotGranted: true})
			continue
		}
		var holder *servingv1alpha1.Route
		for i := range others {
			o := &others[i]
			if !claims[i][h] || !Older(o, rt) || hosts.Refuse(h, o.Namespace, domain) != "" ||
				policy.ungranted(h, o.Namespace, domain) != "" {
				continue
			}
			if holder == nil || Older(o, holder) {
				holder = o
			}
		}
		if holder != nil {
			key := types.NamespacedName{Namespace: holder.Namespace, Name: holder.Name}
			out = append(out, Refusal{Host: h, Holder: key,
				Message: fmt.Sprintf("host %q is held by Route %s", h, key)})
		}
	}
	return out
}

// MarkHosts sets HostsClaimed on s: True without refusals, else False
// listing every refusal, with reason HostNotGranted when a grant is
// missing for one of them (what the operator can add), else HostTaken.
func MarkHosts(s *servingv1alpha1.RouteStatus, refusals []Refusal) {
	if len(refusals) == 0 {
		s.MarkHostsClaimed()
		return
	}
	msgs := make([]string, len(refusals))
	for i, r := range refusals {
		msgs[i] = r.Message
	}
	if slices.ContainsFunc(refusals, func(r Refusal) bool { return r.NotGranted }) {
		s.MarkHostsNotGranted(strings.Join(msgs, "; "))
		return
	}
	s.MarkHostsTaken(strings.Join(msgs, "; "))
}
