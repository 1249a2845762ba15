// Package apikey is the activator's client-credential check: built once
// from a Config holding only hashes of the clients' secrets (New), it finds
// the credential of a request (a header, a query parameter, or HTTP Basic
// id:secret), tells which client sent it, removes it from the request and
// names the client to the function in a header.
//
// Secrets are compared by their SHA-256: a secret sent alone is looked up
// by its hash, which says nothing about the secrets held; one sent with its
// client ID (Basic) is compared with that client's hash in constant time.
package apikey

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
)

// Hash is the SHA-256 of a secret, the only form in which the activator
// holds one.
type Hash [sha256.Size]byte

// HashOf hashes secret.
func HashOf(secret []byte) Hash { return sha256.Sum256(secret) }

// DefaultClientHeader names the client to the function when Config sets no
// header.
const DefaultClientHeader = "Wake-Client-Id"

// Config is a rule's credential policy.
type Config struct {
	// Clients maps each client ID to the hash of its secret.
	Clients map[string]Hash
	// Headers are the request headers a secret may come in (its whole
	// value, or after "Bearer " in Authorization).
	Headers []string
	// Params are the query parameters a secret may come in.
	Params []string
	// Basic accepts Authorization: Basic base64(id:secret).
	Basic bool
	// Allowed lists the client IDs allowed on the rule; empty allows
	// every client.
	Allowed []string
	// ClientHeader is set to the client ID on the request the function
	// gets; empty means DefaultClientHeader.
	ClientHeader string
}

// Policy is a compiled Config. It is immutable and safe for concurrent
// use.
type Policy struct {
	byHash       map[Hash]string
	byID         map[string]Hash
	headers      []string // canonical
	params       []string
	basic        bool
	allowed      map[string]bool // nil allows every client
	clientHeader string
	challenge    []string
}

// Outcome is what a check found.
type Outcome uint8

const (
	// Accepted means the client is known and allowed on the rule.
	Accepted Outcome = iota
	// Missing means the request carried no credential (401).
	Missing
	// Wrong means the credential matched no client (401).
	Wrong
	// NotAllowed means the client is known but not allowed on the rule
	// (403).
	NotAllowed
)

// String says why a request was refused, for its answer's body.
func (o Outcome) String() string {
	switch o {
	case Accepted:
		return "accepted"
	case Missing:
		return "missing client credential"
	case Wrong:
		return "wrong client credential"
	case NotAllowed:
		return "client not allowed on this route"
	}
	return "Outcome(?)"
}

// Status is the HTTP status a refused check is answered with: 401 or 403.
func (o Outcome) Status() int {
	switch o {
	case Missing, Wrong:
		return http.StatusUnauthorized
	case NotAllowed:
		return http.StatusForbidden
	}
	return http.StatusOK
}

// Challenge returns the WWW-Authenticate value of a 401: Basic when the
// policy accepts it, else the header or parameter names. Shared: do not
// modify.
func (p *Policy) Challenge() []string { return p.challenge }

// New compiles c. Two clients with the same secret cannot be told apart
// by the secret alone: both are left out of the lookup by secret (Basic
// still finds them by ID), and their IDs are returned.
func New(c Config) (*Policy, []string) {
	p := &Policy{
		byHash:       make(map[Hash]string, len(c.Clients)),
		byID:         make(map[string]Hash, len(c.Clients)),
		params:       slices.Clone(c.Params),
		basic:        c.Basic,
		clientHeader: http.CanonicalHeaderKey(c.ClientHeader),
	}
	if p.clientHeader == "" {
		p.clientHeader = DefaultClientHeader
	}
	for _, h := range c.Headers {
		p.headers = append(p.headers, http.CanonicalHeaderKey(h))
	}
	if len(c.Allowed) > 0 {
		p.allowed = make(map[string]bool, len(c.Allowed))
		for _, id := range c.Allowed {
			p.allowed[id] = true
		}
	}
	if p.basic {
		p.challenge = []string{`Basic realm="wake", charset="UTF-8"`}
	} else {
		p.challenge = []string{`ApiKey realm="wake", in="` + strings.Join(append(slices.Clone(p.headers), p.params...), ",") + `"`}
	}
	shared := map[Hash][]string{}
	for id, h := range c.Clients {
		p.byID[id] = h
		shared[h] = append(shared[h], id)
	}
	var ambiguous []string
	for h, ids := range shared {
		if len(ids) == 1 {
			p.byHash[h] = ids[0]
			continue
		}
		ambiguous = append(ambiguous, ids...)
	}
	sort.Strings(ambiguous)
	return p, ambiguous
}

// Check finds r's credential and the client that sent it. Every place a
// credential may come in is cleared from r, whatever the outcome; on
// Accepted, r carries the client ID in the client header (one sent by the
// client is replaced).
func (p *Policy) Check(r *http.Request) (client string, o Outcome) {
	secret, id, found := p.take(r)
	delete(r.Header, p.clientHeader)
	if !found {
		return "", Missing
	}
	if id != "" {
		want, ok := p.byID[id]
		got := HashOf([]byte(secret))
		if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
			return "", Wrong
		}
		client = id
	} else if client, found = p.byHash[HashOf([]byte(secret))]; !found {
		return "", Wrong
	}
	if p.allowed != nil && !p.allowed[client] {
		return client, NotAllowed
	}
	r.Header[p.clientHeader] = []string{client}
	return client, Accepted
}

// ClientOf returns the client ID that Check put on r, as a peer activator
// that forwarded r checked it there.
func (p *Policy) ClientOf(r *http.Request) string { return r.Header.Get(p.clientHeader) }

// take removes every credential from r and returns the first found: a
// secret, with its client ID when it came by Basic.
func (p *Policy) take(r *http.Request) (secret, id string, found bool) {
	if p.basic {
		if u, s, ok := basicAuth(r.Header.Get("Authorization")); ok {
			delete(r.Header, "Authorization")
			secret, id, found = s, u, true
		}
	}
	for _, h := range p.headers {
		v := r.Header.Get(h)
		delete(r.Header, h)
		if h == "Authorization" {
			v = bearer(v)
		}
		if v != "" && !found {
			secret, found = v, true
		}
	}
	if len(p.params) > 0 && r.URL.RawQuery != "" {
		var v string
		r.URL.RawQuery, v = stripParams(r.URL.RawQuery, p.params)
		if v != "" && !found {
			secret, found = v, true
		}
	}
	return secret, id, found
}

// bearer returns the token of an Authorization: Bearer value, or "".
func bearer(v string) string {
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// basicAuth decodes an Authorization: Basic value.
func basicAuth(v string) (id, secret string, ok bool) {
	if len(v) < 6 || !strings.EqualFold(v[:6], "basic ") {
		return "", "", false
	}
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v[6:]))
	if err != nil {
		return "", "", false
	}
	id, secret, ok = strings.Cut(string(raw), ":")
	return id, secret, ok && id != ""
}

// stripParams removes the parameters names from a raw query, keeping the
// others as sent, and returns the first non-empty value removed, decoded.
func stripParams(raw string, names []string) (rest, value string) {
	kept := make([]string, 0, strings.Count(raw, "&")+1)
	for part := range strings.SplitSeq(raw, "&") {
		key, v, _ := strings.Cut(part, "=")
		if k, err := url.QueryUnescape(key); err == nil && slices.Contains(names, k) {
			if value == "" {
				if d, err := url.QueryUnescape(v); err == nil {
					value = d
				}
			}
			continue
		}
		kept = append(kept, part)
	}
	return strings.Join(kept, "&"), value
}
