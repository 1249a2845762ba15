// Package routeusage sums the usage counts the activators send with their
// stats frames (statwire.Usage) into each Route's requests per UTC day,
// and writes them to the Routes' status.usage at a bounded rate (Writer).
//
// The counts of each activator are cumulative for one epoch (one process)
// and one day, so the Aggregator keeps the latest counts of every source,
// epoch and day and sums them: a lost frame is made up by the next, and an
// activator that restarted keeps its last counts of the old epoch in the
// sum. What the Aggregator cannot know is what came before it started
// (a controller restart, a new leader): the Writer merges its sums with
// the Route's status, taking the larger of each count, so a count never
// goes back.
package routeusage

import (
	"sort"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/statwire"
)

// Bounds on what the activators can make the Aggregator hold.
const (
	// MaxEntriesPerSource bounds the entries kept per source, epoch and
	// day; more are dropped (and counted).
	MaxEntriesPerSource = 200000
	// MaxSourceEpochs bounds the source epochs kept per day: the
	// activators that ran that day, restarts included.
	MaxSourceEpochs = 256
)

// Counts are requests by answer class (1xx to 5xx) and those rate limits
// refused.
type Counts struct {
	Classes [5]int64
	Limited int64
}

// add adds o to c.
func (c *Counts) add(o Counts) {
	for i := range c.Classes {
		c.Classes[i] += o.Classes[i]
	}
	c.Limited += o.Limited
}

// atLeast raises each count of c to o's where o's is larger.
func (c *Counts) atLeast(o Counts) {
	for i := range c.Classes {
		c.Classes[i] = max(c.Classes[i], o.Classes[i])
	}
	c.Limited = max(c.Limited, o.Limited)
}

// Key names a rule's counts, or one client's.
type Key struct {
	Rule   int32
	Client string
}

// epochKey names one activator process.
type epochKey struct {
	src   string
	epoch int64
}

// sourceCounts are one source epoch's counts of one day.
type sourceCounts struct {
	routes map[types.NamespacedName]map[Key]Counts
	n      int // entries, over all routes
}

// Aggregator holds the activators' latest usage counts. Create with New.
type Aggregator struct {
	mu sync.Mutex
	// days maps a day to each source epoch's counts of it.
	days map[string]map[epochKey]*sourceCounts
	// changed are the Routes whose counts changed since Changed was
	// last called, by day.
	changed map[string]map[types.NamespacedName]bool
	dropped int64
}

// New returns an empty Aggregator.
func New() *Aggregator {
	return &Aggregator{days: map[string]map[epochKey]*sourceCounts{}, changed: map[string]map[types.NamespacedName]bool{}}
}

// Apply takes the usage of one frame from src. Entries that are invalid
// or over the bounds are dropped and counted (Dropped).
func (a *Aggregator) Apply(src string, u *statwire.Usage) {
	if u == nil || src == "" || len(u.Entries) == 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	day := a.days[u.Day]
	if day == nil {
		day = map[epochKey]*sourceCounts{}
		a.days[u.Day] = day
	}
	ek := epochKey{src, u.Epoch}
	sc := day[ek]
	if sc == nil {
		if len(day) >= MaxSourceEpochs {
			a.dropped += int64(len(u.Entries))
			return
		}
		sc = &sourceCounts{routes: map[types.NamespacedName]map[Key]Counts{}}
		day[ek] = sc
	}
	changed := a.changed[u.Day]
	if changed == nil {
		changed = map[types.NamespacedName]bool{}
		a.changed[u.Day] = changed
	}
	for _, e := range u.Entries {
		if !e.Valid() {
			a.dropped++
			continue
		}
		rk := types.NamespacedName{Namespace: e.Namespace, Name: e.Route}
		rs := sc.routes[rk]
		k := Key{Rule: e.Rule, Client: e.Client}
		old, seen := rs[k]
		if !seen && sc.n >= MaxEntriesPerSource {
			a.dropped++
			continue
		}
		if rs == nil {
			rs = map[Key]Counts{}
			sc.routes[rk] = rs
		}
		c := old
		c.atLeast(Counts{Classes: e.Classes, Limited: e.RateLimited}) // cumulative: never back
		if c != old || !seen {
			rs[k] = c
			changed[rk] = true
		}
		if !seen {
			sc.n++
		}
	}
}

// Changed returns, per day, the Routes whose counts changed since the
// last call, and forgets them.
func (a *Aggregator) Changed() map[string][]types.NamespacedName {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[string][]types.NamespacedName{}
	for day, routes := range a.changed {
		for rk := range routes {
			out[day] = append(out[day], rk)
		}
		sort.Slice(out[day], func(i, j int) bool { return out[day][i].String() < out[day][j].String() })
	}
	a.changed = map[string]map[types.NamespacedName]bool{}
	return out
}

// markChanged marks route's counts of day as changed again (a write
// failed).
func (a *Aggregator) markChanged(day string, route types.NamespacedName) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.changed[day] == nil {
		a.changed[day] = map[types.NamespacedName]bool{}
	}
	a.changed[day][route] = true
}

// Route returns route's counts on day, summed over the activators.
func (a *Aggregator) Route(day string, route types.NamespacedName) map[Key]Counts {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := map[Key]Counts{}
	for _, sc := range a.days[day] {
		for k, c := range sc.routes[route] {
			sum := out[k]
			sum.add(c)
			out[k] = sum
		}
	}
	return out
}

// Forget drops every day before keep (dates sort as strings).
func (a *Aggregator) Forget(keep string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for day := range a.days {
		if day < keep {
			delete(a.days, day)
			delete(a.changed, day)
		}
	}
}

// ForgetRoute drops a deleted Route's counts.
func (a *Aggregator) ForgetRoute(route types.NamespacedName) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, day := range a.days {
		for _, sc := range day {
			sc.n -= len(sc.routes[route])
			delete(sc.routes, route)
		}
	}
	for _, routes := range a.changed {
		delete(routes, route)
	}
}

// DroppedCounter is wake_autoscaler_usage_entries_dropped_total, which
// reads Dropped.
func (a *Aggregator) DroppedCounter() prometheus.Collector {
	return prometheus.NewCounterFunc(prometheus.CounterOpts{
		Name: "wake_autoscaler_usage_entries_dropped_total",
		Help: "Usage entries from the activators dropped: invalid, or over the bounds of what is kept per activator.",
	}, func() float64 { return float64(a.Dropped()) })
}

// Dropped returns how many entries were dropped: invalid, or over the
// bounds.
func (a *Aggregator) Dropped() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.dropped
}
