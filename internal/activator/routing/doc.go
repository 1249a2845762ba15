// Package routing is the activator's routing table: an immutable structure,
// built once from plain input structs (Build) and swapped atomically
// (Holder), that maps a request's host, path and method to a revision.
//
// # Hosts
//
//   - A Function f in namespace ns with a latest ready revision gets the
//     default host "f.ns.{domain}", sending 100% to that revision on every
//     path and method.
//   - A Route lists hosts. A host is an exact DNS name ("api.example.com")
//     or a wildcard "*.example.com". A wildcard matches one or more labels in
//     place of the "*" (Gateway API semantics: "*.example.com" matches
//     "a.example.com" and "a.b.example.com", never "example.com").
//   - Exact beats wildcard; among wildcards the longest suffix wins.
//   - Each traffic entry with a tag gets the host "{tag}-{host}" for each
//     exact host of its Route: the same rules, but only those rules that
//     have an entry with that tag, each sending 100% to that entry's
//     revision. Tags are not applied to wildcard hosts.
//   - Hosts are compared lowercased, without port and trailing dot.
//   - Host claims: a host of the form "*.{ns}.{domain}" (and the wildcard
//     "*.{ns}.{domain}" itself) may be claimed only by objects in namespace
//     ns, and no object may claim a wildcard covering the whole domain
//     ("*.{domain}" or "*.{parent}"); these rules, like the host syntax and
//     the default and tag host names, are package hosts', which the Route
//     reconciler applies too. When two objects claim the same host, the
//     first claim wins in this order: Routes (sorted by namespace/name),
//     then Function default hosts, then tag hosts. Refused claims are
//     reported as Problems.
//
// # Rules
//
// Rules of one host are tried in precedence order: Exact path matches
// first, then Prefix matches from the longest prefix to the shortest; ties
// keep the order written in the Route. The first rule whose path and method
// both match wins. A Prefix matches whole path segments: "/api" matches
// "/api", "/api/" and "/api/v1", not "/apis"; "/" matches everything. An
// empty method list allows every method; a list containing GET also allows
// HEAD. Matching is on the request's path as received (URL.Path), case
// sensitive.
//
// A rule may carry a CORS policy (package cors); a lookup that finds the
// rule returns it with the revision and the rule's RuleRef (its Route and
// index there), and tag hosts keep both. The handler
// looks a preflight up by the method it asks for.
//
// # Misses
//
//   - MissHost: no host matched (the handler answers 404).
//   - MissPath: the host matched but no rule's path did (404).
//   - MissMethod: a rule's path matched but none allows the method (405,
//     with Result.Allow listing the methods of all rules whose path
//     matched).
//
// # Revisions
//
// A lookup resolves to a *Revision carrying what the request path needs:
// its timeout (TimeoutSeconds, DefaultTimeoutSeconds when unset) and the
// protocol its pods serve (ProtocolHTTP1 when unset, or ProtocolH2C). A
// revision with an unknown protocol is served over HTTP/1.1 and reported as
// a Problem; one sent traffic but absent from Input.Revisions takes the
// defaults.
//
// # Traffic split
//
// A rule's traffic entries carry integer percents summing to 100. Lookup
// draws one number from the random source passed in and picks an entry in
// proportion to its percent; a rule with a single non-zero entry draws
// nothing. Lookup does not allocate for lowercase hosts.
package routing
