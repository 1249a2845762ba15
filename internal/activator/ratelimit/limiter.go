package ratelimit

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/go-logr/logr"
)

// Defaults of Options.
const (
	DefaultMaxKeysPerNamespace = 10000
	DefaultLeaseTTL            = 2 * time.Second
	DefaultPeerTimeout         = 250 * time.Millisecond
	DefaultPeerDownFor         = 5 * time.Second
	DefaultSweepEvery          = 10 * time.Second
)

// Options configures a Limiter.
type Options struct {
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// Peers returns the rate-limit addresses (ip:port) of the ready
	// activators by index, this one's included (see SetActivators); nil
	// keeps every count here, as a single activator does.
	Peers func() []string
	// Client asks the peers; nil means one with PeerTimeout.
	Client *http.Client
	// TrustProxy reports whether a connection comes from a trusted proxy,
	// whose X-Forwarded-For gives the source address; nil trusts none.
	TrustProxy func(remoteAddr string) bool
	// MaxKeysPerNamespace bounds the keys one namespace's limits have
	// counted here at once (counts and leases); a request that needs
	// one more is refused. Default DefaultMaxKeysPerNamespace.
	MaxKeysPerNamespace int
	// LeaseTTL is how long tokens leased from a peer may be spent.
	LeaseTTL time.Duration
	// PeerTimeout bounds asking a peer; PeerDownFor is how long a peer
	// that did not answer is not asked, its keys counted here at this
	// activator's share instead.
	PeerTimeout, PeerDownFor time.Duration
	// Logger receives peers that do not answer, at V(1).
	Logger logr.Logger
}

// Limiter counts the requests of every rate-limit policy, together over all
// activators. Each key (a limit and a key value) is owned by one activator,
// picked by hashing the key over the activators: the owner holds its
// bucket, and the others lease tokens from it in small batches (see
// lease), so the requests admitted over all activators stay within a
// batch of the limit. A request is answered from this activator's memory
// except when its lease has run dry.
//
// If the owner cannot be reached, its keys are counted here for a while,
// at this activator's share of each limit (1/count). When the activators
// change, keys move to new owners that start with full buckets and unused
// quotas: the counts are in memory only.
type Limiter struct {
	o   Options
	log logr.Logger

	mu           sync.Mutex
	count, index int
	owned        map[string]*owned
	leases       map[string]*lease
	keys         map[string]int       // per namespace, owned and leased
	down         map[string]time.Time // peer address -> asked again after
}

// owned is a key counted here.
type owned struct {
	b    *bucket
	spec Spec
	ns   string
}

// New returns a Limiter.
func New(o Options) *Limiter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxKeysPerNamespace <= 0 {
		o.MaxKeysPerNamespace = DefaultMaxKeysPerNamespace
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	if o.PeerTimeout <= 0 {
		o.PeerTimeout = DefaultPeerTimeout
	}
	if o.PeerDownFor <= 0 {
		o.PeerDownFor = DefaultPeerDownFor
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: o.PeerTimeout}
	}
	return &Limiter{o: o, log: o.Logger, count: 1, owned: map[string]*owned{}, leases: map[string]*lease{},
		keys: map[string]int{}, down: map[string]time.Time{}}
}

// SetActivators tells the limiter that there are count activators and this
// one has index, as their Peers lists them.
func (l *Limiter) SetActivators(count, index int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count, l.index = max(1, count), index
}

// Decision is what a policy says of one request.
type Decision struct {
	// Refused is set when the request must be answered 429 with Headers.
	Refused bool
	// Shadowed is set when a limit would have refused the request but the
	// policy is in shadow mode.
	Shadowed bool
	// Headers are the answer to a refused (or shadowed) request.
	Headers Headers
}

// Admit counts r against p's limits, and its client's plan: client is the
// client ID the apiKeys policy found ("" for none).
func (l *Limiter) Admit(ctx context.Context, p *Policy, r *http.Request, client string) Decision {
	var d Decision
	for _, lim := range p.limits {
		l.admitOne(ctx, p, lim, lim.keyOf(r, client, l.o.TrustProxy), &d)
	}
	if plan := p.plans[client]; plan != nil && client != "" {
		l.admitOne(ctx, p, plan, client, &d)
	}
	if d.Refused && p.shadow {
		d.Refused, d.Shadowed = false, true
	}
	return d
}

// admitOne counts one request against lim's key, recording in d the first
// refusal.
func (l *Limiter) admitOne(ctx context.Context, p *Policy, lim *limit, key string, d *Decision) {
	ok, wait := l.take(ctx, p.ns, lim.id+"\x00"+key, lim.spec)
	if !ok && !d.Refused {
		d.Refused, d.Headers = true, lim.headers(wait)
	}
}

// take counts one request against key, here or at its owner.
func (l *Limiter) take(ctx context.Context, ns, key string, s Spec) (bool, time.Duration) {
	now := l.o.Now()
	l.mu.Lock()
	addr, mine := l.ownerLocked(key, now)
	switch {
	case mine:
		defer l.mu.Unlock()
		return l.takeOwnedLocked(ns, key, s, 1, now)
	case addr == "":
		defer l.mu.Unlock()
		return l.takeShareLocked(ns, key, s, now)
	}
	ls := l.leases[key]
	if ls == nil {
		if !l.addKeyLocked(ns) {
			l.mu.Unlock()
			return false, time.Second
		}
		ls = &lease{ns: ns}
		l.leases[key] = ls
	}
	ok, wait, ready, ask := ls.spend(now)
	if ask {
		go l.refill(ls, addr, key, s, batch(s, l.count))
	}
	l.mu.Unlock()
	if ok || wait > 0 {
		return ok, wait
	}
	// Dry: wait for the batch being asked for, then try once more.
	select {
	case <-ready:
	case <-ctx.Done():
		return false, time.Second
	}
	now = l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	if ls.failed {
		return l.takeShareLocked(ns, key, s, now)
	}
	return ls.spendAgain(now)
}

// ownerLocked returns the address of key's owner, or mine when this
// activator owns it (or knows no peers). With neither, the owner is down
// or its address unknown.
func (l *Limiter) ownerLocked(key string, now time.Time) (addr string, mine bool) {
	if l.o.Peers == nil || l.count <= 1 {
		return "", true
	}
	i := int(fnv32a(key) % uint32(l.count))
	if i == l.index {
		return "", true
	}
	peers := l.o.Peers()
	if i >= len(peers) || peers[i] == "" {
		return "", false
	}
	addr = peers[i]
	if until, ok := l.down[addr]; ok {
		if now.Before(until) {
			return "", false
		}
		delete(l.down, addr)
	}
	return addr, false
}

// fnv32a is FNV-1a of s, as hash/fnv computes it, without allocating: the
// activators must agree on each key's owner.
func fnv32a(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}

// takeShareLocked counts a key whose owner cannot be asked here, at this
// activator's share of the limit (1/count), apart from the key's count
// that this activator may own later.
func (l *Limiter) takeShareLocked(ns, key string, s Spec, now time.Time) (bool, time.Duration) {
	return l.takeOwnedLocked(ns, key+"\x00share", share(s, l.count), 1, now)
}

// takeOwnedLocked takes up to want tokens of a key counted here.
func (l *Limiter) takeOwnedLocked(ns, key string, s Spec, want int64, now time.Time) (bool, time.Duration) {
	g, wait := l.grantLocked(ns, key, s, want, now)
	return g > 0, wait
}

// grantLocked grants up to want tokens of a key counted here, creating its
// bucket if the namespace has room for one more key.
func (l *Limiter) grantLocked(ns, key string, s Spec, want int64, now time.Time) (int64, time.Duration) {
	o := l.owned[key]
	if o == nil || o.spec != s {
		if o == nil && !l.addKeyLocked(ns) {
			return 0, time.Second
		}
		if o == nil {
			o = &owned{ns: ns}
			l.owned[key] = o
		}
		o.b, o.spec = newBucket(s, now), s
	}
	return o.b.take(s, want, now)
}

// addKeyLocked counts one more key of ns, unless it holds its cap.
func (l *Limiter) addKeyLocked(ns string) bool {
	if l.keys[ns] >= l.o.MaxKeysPerNamespace {
		return false
	}
	l.keys[ns]++
	return true
}

// dropKeyLocked forgets one key of ns.
func (l *Limiter) dropKeyLocked(ns string) {
	if l.keys[ns]--; l.keys[ns] <= 0 {
		delete(l.keys, ns)
	}
}

// share returns s for one of count activators: each counts its part.
func share(s Spec, count int) Spec {
	c := int64(max(1, count))
	s.Rate /= float64(c)
	s.Burst = max(1, s.Burst/c)
	if s.Quota > 0 {
		s.Quota = max(1, s.Quota/c)
	}
	return s
}

// Run forgets idle keys every DefaultSweepEvery until ctx ends.
func (l *Limiter) Run(ctx context.Context) {
	t := time.NewTicker(DefaultSweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			l.Sweep()
		}
	}
}

// Sweep forgets what no longer matters: full buckets without quota used,
// and leases spent or expired with no refusal pending.
func (l *Limiter) Sweep() {
	now := l.o.Now()
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, o := range l.owned {
		if o.b.idle(o.spec, now) {
			delete(l.owned, k)
			l.dropKeyLocked(o.ns)
		}
	}
	for k, ls := range l.leases {
		if ls.idle(now) {
			delete(l.leases, k)
			l.dropKeyLocked(ls.ns)
		}
	}
	for addr, until := range l.down {
		if !now.Before(until) {
			delete(l.down, addr)
		}
	}
}

// Keys returns how many keys ns has counted here; for tests and metrics.
func (l *Limiter) Keys(ns string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.keys[ns]
}
