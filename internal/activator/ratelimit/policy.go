package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// KeyType is what a limit counts requests by.
type KeyType string

// The key types; the zero value counts every request together.
const (
	KeyNone          KeyType = ""
	KeyClientID      KeyType = "ClientID"
	KeyHeader        KeyType = "Header"
	KeySourceAddress KeyType = "SourceAddress"
)

// Config is one Route rule's rate-limit policy, as package feed converts it.
type Config struct {
	// Namespace is the Route's: every key of the policy counts against its
	// cap on keys.
	Namespace string
	// Scope names the rule ("namespace/route/index"): the policy's counts
	// are kept under it, so two rules never share them.
	Scope string
	// Limits apply to every request.
	Limits []Limit
	// Plans apply per client, to the clients they list.
	Plans []Plan
	// Shadow counts refusals without refusing.
	Shadow bool
}

// Limit is one limit.
type Limit struct {
	// Name is the limit's name in the RateLimit headers.
	Name string
	// Key is what requests are counted by; Header names the header for
	// KeyHeader.
	Key    KeyType
	Header string
	// Requests per Per, up to Burst at once (0: Requests).
	Requests int64
	Per      time.Duration
	Burst    int64
	// Quota requests per Period; 0 has none.
	Quota  int64
	Period Period
}

// Plan is a named limit for the clients it lists, each counted on its own
// (its Limit's Key is ignored).
type Plan struct {
	Limit
	// Clients are the plan's client IDs.
	Clients []string
}

// Policy is a compiled Config; it is immutable and holds no counts (the
// Limiter does), so that the routing table can be rebuilt without losing
// them.
type Policy struct {
	ns     string
	shadow bool
	limits []*limit
	plans  map[string]*limit // by client ID
}

// limit is a compiled Limit.
type limit struct {
	// id prefixes the limit's keys: the scope, the name and the numbers,
	// so that a changed limit starts counting afresh.
	id     string
	spec   Spec
	key    KeyType
	header string
	name   string
	// policy is the limit's RateLimit-Policy item.
	policy string
}

// NewPolicy compiles c.
func NewPolicy(c Config) *Policy {
	p := &Policy{ns: c.Namespace, shadow: c.Shadow}
	for _, l := range c.Limits {
		p.limits = append(p.limits, compile(c.Scope, l))
	}
	for _, pl := range c.Plans {
		l := pl.Limit
		l.Key, l.Header = KeyClientID, ""
		cl := compile(c.Scope, l)
		for _, id := range pl.Clients {
			if p.plans == nil {
				p.plans = map[string]*limit{}
			}
			if _, taken := p.plans[id]; !taken { // the first plan listing a client wins
				p.plans[id] = cl
			}
		}
	}
	return p
}

func compile(scope string, l Limit) *limit {
	burst := l.Burst
	if burst <= 0 {
		burst = l.Requests
	}
	s := Spec{Rate: float64(l.Requests) / l.Per.Seconds(), Burst: burst, Quota: l.Quota}
	if l.Quota > 0 {
		s.Period = l.Period
	}
	window := int64(l.Per / time.Second)
	pol := fmt.Sprintf("%q;q=%d;w=%d", l.Name, l.Requests, window)
	if s.Quota > 0 {
		pol += fmt.Sprintf(", %q;q=%d;w=%d", l.Name+"-quota", s.Quota, int64(periodLength(s.Period)/time.Second))
	}
	return &limit{
		id:     fmt.Sprintf("%s/%s/%g/%d/%d/%s/%s:%s", scope, l.Name, s.Rate, s.Burst, s.Quota, s.Period, l.Key, strings.ToLower(l.Header)),
		spec:   s,
		key:    l.Key,
		header: l.Header,
		name:   l.Name,
		policy: pol,
	}
}

// periodLength is the nominal length of a quota period, for
// RateLimit-Policy.
func periodLength(p Period) time.Duration {
	if p == Month {
		return 30 * 24 * time.Hour
	}
	return 24 * time.Hour
}

// maxRawKey is the longest key value kept as it is; longer ones are
// hashed, so that a client cannot make a key hold much memory.
const maxRawKey = 64

// keyOf returns r's value of l's key: the client ID, a header's value or
// the source address.
func (l *limit) keyOf(r *http.Request, client string, trusted func(string) bool) string {
	var v string
	switch l.key {
	case KeyClientID:
		v = client
	case KeyHeader:
		v = r.Header.Get(l.header)
	case KeySourceAddress:
		v = SourceAddress(r, trusted)
	}
	if len(v) > maxRawKey {
		sum := sha256.Sum256([]byte(v))
		v = "#" + hex.EncodeToString(sum[:16])
	}
	return v
}

// SourceAddress returns the client's IP: the last X-Forwarded-For entry
// when the connection comes from a proxy trusted says is one (nil trusts
// none), else the connection's address.
func SourceAddress(r *http.Request, trusted func(remoteAddr string) bool) string {
	if trusted != nil && trusted(r.RemoteAddr) {
		if xff := r.Header.Values("X-Forwarded-For"); len(xff) > 0 {
			last := xff[len(xff)-1]
			if i := strings.LastIndexByte(last, ','); i >= 0 {
				last = last[i+1:]
			}
			if ip := strings.TrimSpace(last); net.ParseIP(ip) != nil {
				return ip
			}
		}
	}
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		return host
	}
	return r.RemoteAddr
}

// Headers are what a refused request is answered with, beside 429.
type Headers struct {
	// RetryAfter is the Retry-After value, in whole seconds (at least 1).
	RetryAfter string
	// Policy and State are the RateLimit-Policy and RateLimit values.
	Policy, State string
}

// headers returns the answer to a request l refused for wait.
func (l *limit) headers(wait time.Duration) Headers {
	secs := max(1, int64((wait+time.Second-1)/time.Second))
	s := strconv.FormatInt(secs, 10)
	return Headers{RetryAfter: s, Policy: l.policy, State: strconv.Quote(l.name) + ";r=0;t=" + s}
}
