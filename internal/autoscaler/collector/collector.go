// Package collector sums the concurrency that activators report, per
// revision.
//
// Every activator (a source, named by the frame's src) sends a frame each
// statwire.Period that lists the revisions that had traffic. Such a frame is a
// snapshot: a revision it leaves out has no demand from that source. A frame
// made only of poke entries is not a snapshot; its entries are merged into
// the source's current one. A revision's concurrency is the sum, over the
// sources heard from within the expiry, of their latest snapshot's value, so
// an activator that goes silent stops counting after the expiry, and one
// that reconnects (same src) simply carries on.
package collector

import (
	"errors"
	"math"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/statwire"
)

// DefaultExpiry is how long a silent source keeps counting: three periods.
const DefaultExpiry = 3 * statwire.Period

// ErrNoSource is returned by Apply for a frame without a src.
var ErrNoSource = errors.New("stats frame has no source")

// Result says what Apply did with a frame's entries.
type Result struct {
	// Accepted counts the entries stored.
	Accepted int
	// Invalid counts entries with negative or non-finite numbers or no name.
	Invalid int
	// Unknown counts entries for revisions that known rejected.
	Unknown int
	// Pokes lists the accepted poke entries' revisions.
	Pokes []types.NamespacedName
}

// Collector holds the latest contribution of every source to every
// revision. It is safe for concurrent use.
type Collector struct {
	expiry time.Duration

	mu      sync.RWMutex
	sources map[string]*source
	revs    map[types.NamespacedName][]contribution
}

type source struct {
	lastSeen time.Time
	gen      uint64 // snapshot number; contributions of older ones are void
}

type contribution struct {
	src  *source
	gen  uint64
	conc float64
}

// New returns an empty Collector; expiry <= 0 means DefaultExpiry.
func New(expiry time.Duration) *Collector {
	if expiry <= 0 {
		expiry = DefaultExpiry
	}
	return &Collector{
		expiry:  expiry,
		sources: map[string]*source{},
		revs:    map[types.NamespacedName][]contribution{},
	}
}

// Apply stores a frame received at now. known, when not nil, says which
// revisions are tracked; entries for others are counted and dropped.
// Invalid entries are dropped too, and leave the source's previous value for
// that revision in place.
func (c *Collector) Apply(now time.Time, f statwire.Frame, known func(types.NamespacedName) bool) (Result, error) {
	if f.Source == "" {
		return Result{}, ErrNoSource
	}
	// Classify outside the lock: known may take locks of its own.
	type entry struct {
		key  types.NamespacedName
		conc float64
		ok   bool
	}
	var res Result
	entries := make([]entry, 0, len(f.Stats))
	snapshot := false
	for _, s := range f.Stats {
		snapshot = snapshot || !s.Poke
		key := types.NamespacedName{Namespace: s.Namespace, Name: s.Revision}
		switch {
		case s.Namespace == "" || s.Revision == "":
			res.Invalid++
		case known != nil && !known(key):
			res.Unknown++
		case !s.Valid():
			res.Invalid++
			entries = append(entries, entry{key: key}) // keep the previous value
		default:
			conc := s.AverageConcurrency
			if s.Poke {
				// Requests are waiting for a pod right now: at least one.
				conc = math.Max(conc, math.Max(s.RequestCount, 1))
				res.Pokes = append(res.Pokes, key)
			}
			res.Accepted++
			entries = append(entries, entry{key: key, conc: conc, ok: true})
		}
	}
	snapshot = snapshot || len(f.Stats) == 0

	c.mu.Lock()
	defer c.mu.Unlock()
	src := c.sources[f.Source]
	if src == nil {
		src = &source{}
		c.sources[f.Source] = src
	}
	src.lastSeen = now
	prevGen := src.gen
	if snapshot {
		src.gen++
	}
	for _, e := range entries {
		c.store(e.key, src, prevGen, e.conc, e.ok)
	}
	return res, nil
}

// store sets src's contribution to key in the current snapshot. Within one
// snapshot values are combined with max; an invalid entry (!ok) carries the
// previous snapshot's value forward.
func (c *Collector) store(key types.NamespacedName, src *source, prevGen uint64, conc float64, ok bool) {
	cs := c.revs[key]
	for i := range cs {
		if cs[i].src != src {
			continue
		}
		switch {
		case !ok && cs[i].gen == prevGen:
			cs[i].gen = src.gen
		case !ok:
		case cs[i].gen == src.gen:
			cs[i].conc = math.Max(cs[i].conc, conc)
		default:
			cs[i].gen, cs[i].conc = src.gen, conc
		}
		return
	}
	if ok {
		c.revs[key] = append(cs, contribution{src: src, gen: src.gen, conc: conc})
	}
}

// Concurrency returns the summed concurrency of a revision at now.
func (c *Collector) Concurrency(key types.NamespacedName, now time.Time) float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.sum(c.revs[key], now)
}

// NamespaceConcurrency returns the summed concurrency of all of
// namespace's revisions at now: the requests in flight to the namespace
// (queued or proxied) over all activators, as last reported. It walks every
// revision held, which is cheap next to the period it is asked at.
func (c *Collector) NamespaceConcurrency(namespace string, now time.Time) float64 {
	c.mu.RLock()
	defer c.mu.RUnlock()
	sum := 0.0
	for key, cs := range c.revs {
		if key.Namespace == namespace {
			sum += c.sum(cs, now)
		}
	}
	return sum
}

// sum adds up the current, fresh contributions cs at now.
func (c *Collector) sum(cs []contribution, now time.Time) float64 {
	sum := 0.0
	for _, ct := range cs {
		if ct.gen == ct.src.gen && c.fresh(ct.src, now) {
			sum += ct.conc
		}
	}
	return sum
}

// Fresh reports whether any source has been heard from within the expiry:
// without one, a revision's zero means "unknown", not "idle".
func (c *Collector) Fresh(now time.Time) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	for _, s := range c.sources {
		if c.fresh(s, now) {
			return true
		}
	}
	return false
}

// Sources returns the number of sources heard from within the expiry.
func (c *Collector) Sources(now time.Time) int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n := 0
	for _, s := range c.sources {
		if c.fresh(s, now) {
			n++
		}
	}
	return n
}

func (c *Collector) fresh(s *source, now time.Time) bool {
	return now.Sub(s.lastSeen) <= c.expiry
}

// Forget drops what is held for a revision that is no longer tracked.
func (c *Collector) Forget(key types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.revs, key)
}

// Sweep frees expired sources and void contributions. Call it now and then
// (every few expiries); correctness does not depend on it.
func (c *Collector) Sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for name, s := range c.sources {
		if !c.fresh(s, now) {
			delete(c.sources, name)
		}
	}
	for key, cs := range c.revs {
		kept := cs[:0]
		for _, ct := range cs {
			if ct.gen == ct.src.gen && c.fresh(ct.src, now) {
				kept = append(kept, ct)
			}
		}
		if len(kept) == 0 {
			delete(c.revs, key)
		} else {
			clear(cs[len(kept):])
			c.revs[key] = kept
		}
	}
}
