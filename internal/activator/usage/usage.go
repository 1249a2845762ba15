// Package usage counts, in the activator, the requests each Route rule
// matched by the class of their answer, per UTC day, and per client for
// the rules whose Route asks (usage.perClient). The stats reporter sends
// the counts to the autoscalers with every periodic frame
// (statwire.Usage): cumulative since this process started counting (its
// epoch), so that a lost frame loses nothing once a later one carries the
// key again. The controller sums them over the activators into the
// Routes' status.usage.
//
// What one namespace can make an activator hold is bounded: at most
// MaxClientsPerRule clients are counted per rule and day (the requests of
// the others count in the rule's own entry only).
package usage

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/statwire"
)

// MaxClientsPerRule bounds the clients counted apart per rule and day.
const MaxClientsPerRule = 100

// rotateShare is the share of the unchanged entries a frame carries (one
// in rotateShare): every entry is sent at least once a minute.
const rotateShare = 60

// flushFor is how long after midnight (UTC) the frames carry the day that
// ended, so that its last counts reach the receivers.
const flushFor = time.Minute

// key names one entry: a rule, or one client of it.
type key struct {
	route  types.NamespacedName
	rule   int32
	client string
}

// entry is one key's counts.
type entry struct {
	classes [5]int64
	limited int64
	dirty   bool
}

// day is one UTC day's counts.
type day struct {
	date string
	// start and end bound the day, so that a request only compares times.
	start, end time.Time
	entries    map[key]*entry
	order      []key // in creation order, for the rotation
	next       int   // where the rotation goes on
	clients    map[key]int
}

// newDay returns the empty counts of the UTC day holding t.
func newDay(t time.Time) *day {
	y, m, dd := t.UTC().Date()
	start := time.Date(y, m, dd, 0, 0, 0, 0, time.UTC)
	return &day{date: start.Format(statwire.UsageDayFormat), start: start, end: start.AddDate(0, 0, 1),
		entries: map[key]*entry{}, clients: map[key]int{}}
}

// Counter counts the requests of Route rules. The zero value is not
// usable; create one with New.
type Counter struct {
	now   func() time.Time
	epoch int64

	mu        sync.Mutex
	cur, prev *day
}

// New returns a Counter whose epoch is now; nil means time.Now.
func New(now func() time.Time) *Counter {
	if now == nil {
		now = time.Now
	}
	t := now()
	return &Counter{now: now, epoch: t.UnixMilli(), cur: newDay(t)}
}

// Done counts a request that rule of route matched, answered with code
// (a client that left: 499, counted as 4xx); limited marks a refusal by
// the rule's rate limits. With client set, the client's entry counts it
// too.
func (c *Counter) Done(route types.NamespacedName, rule int, code int, client string, limited bool) {
	class := code/100 - 1
	if class < 0 || class >= 5 {
		return
	}
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.dayLocked(now)
	rk := key{route: route, rule: int32(rule)}
	d.add(rk, class, limited)
	if client == "" {
		return
	}
	ck := key{route: route, rule: int32(rule), client: client}
	if _, seen := d.entries[ck]; !seen {
		if d.clients[rk] >= MaxClientsPerRule {
			return
		}
		d.clients[rk]++
	}
	d.add(ck, class, limited)
}

// dayLocked returns the current day's counts, rolling over at midnight.
func (c *Counter) dayLocked(now time.Time) *day {
	if now.Before(c.cur.start) || !now.Before(c.cur.end) {
		c.prev, c.cur = c.cur, newDay(now)
	}
	return c.cur
}

func (d *day) add(k key, class int, limited bool) {
	e := d.entries[k]
	if e == nil {
		e = &entry{}
		d.entries[k] = e
		d.order = append(d.order, k)
	}
	e.classes[class]++
	if limited {
		e.limited++
	}
	e.dirty = true
}

// Snapshot returns what the next periodic frame carries: the entries that
// changed since the last call and a rotating share of the others, at most
// statwire.MaxUsageEntries (the rest wait for the next frames); nil when
// nothing was ever counted. For a minute after midnight it carries the day
// that ended instead.
func (c *Counter) Snapshot() *statwire.Usage {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dayLocked(now)
	d := c.cur
	if c.prev != nil {
		if now.Sub(c.cur.start) < flushFor {
			d = c.prev
		} else {
			c.prev = nil
		}
	}
	if len(d.order) == 0 {
		return nil
	}
	u := &statwire.Usage{Epoch: c.epoch, Day: d.date}
	rotate := max(1, len(d.order)/rotateShare)
	if d == c.prev {
		rotate = len(d.order) // the day is over: send all of it, in turn
	}
	// The rotation first, then what else changed: each entry once.
	for i := 0; i < min(rotate, len(d.order)) && len(u.Entries) < statwire.MaxUsageEntries; i++ {
		d.next %= len(d.order)
		k := d.order[d.next]
		d.next++
		e := d.entries[k]
		u.Entries = append(u.Entries, entryOf(k, e))
		e.dirty = false
	}
	for _, k := range d.order {
		if len(u.Entries) == statwire.MaxUsageEntries {
			break
		}
		if e := d.entries[k]; e.dirty {
			u.Entries = append(u.Entries, entryOf(k, e))
			e.dirty = false
		}
	}
	return u
}

func entryOf(k key, e *entry) statwire.UsageEntry {
	return statwire.UsageEntry{Namespace: k.route.Namespace, Route: k.route.Name, Rule: k.rule, Client: k.client,
		Classes: e.classes, RateLimited: e.limited}
}

// Forget drops route's counts, once the Route is deleted.
func (c *Counter) Forget(route types.NamespacedName) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, d := range []*day{c.cur, c.prev} {
		if d == nil {
			continue
		}
		kept := d.order[:0]
		for _, k := range d.order {
			if k.route == route {
				delete(d.entries, k)
				delete(d.clients, key{route: k.route, rule: k.rule})
			} else {
				kept = append(kept, k)
			}
		}
		d.order = kept
	}
}
