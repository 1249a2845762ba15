// Package meter measures, in the activator, what each revision's requests
// cost: per fixed window and per revision (and per client, when a Route's
// credentials named one), the requests that reached the function, their
// billed 100 ms units (internal/metering), the requests held for a cold
// start with their hold time, and the requests Wake refused before they
// reached the function.
//
// In ModeRequest a request's units are its time at the function, from
// forwarding to the last response byte, rounded up, counted in the window
// the request ended in. In ModeInstance the Meter records instead, per pod
// and window, the intervals in which the pod had at least one of this
// activator's requests in flight (busy.go); the autoscaler unites the
// intervals of all activators before it rounds each up, so that a pod
// busy with two activators' requests at once is billed once.
//
// The stats reporter carries Snapshot in every periodic frame: counts
// cumulative since this process started (its epoch), so that a lost frame
// loses nothing once a later one carries the entry again, and Final on
// shutdown. The autoscalers sum them over the activators into usage
// records.
//
// What one tenant can make an activator hold is bounded: at most
// MaxClientsPerRevision clients are metered apart per revision and window
// (the others count under no client), and at most MaxEntries entries are
// held in all; beyond, an entry is counted in Overflow and not metered.
package meter

import (
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/statwire"
)

// Bounds of what a Meter holds.
const (
	// MaxClientsPerRevision bounds the clients metered apart per revision
	// and window.
	MaxClientsPerRevision = 100
	// MaxEntries bounds the entries held over all windows.
	MaxEntries = 100000
)

// ResendFor is how long after a window closes every frame carries all of
// it again (statwire.MeterResendFor).
const ResendFor = statwire.MeterResendFor

// rotateShare is the share of an open window's unchanged entries a frame
// carries (one in rotateShare): a stat server that connects late has
// every entry within rotateShare frames.
const rotateShare = 10

// Options configure a Meter.
type Options struct {
	// Mode is metering.ModeRequest or metering.ModeInstance.
	Mode string
	// Window is the length of the windows; the windows start at multiples
	// of it since the Unix epoch. Zero or less means a minute.
	Window time.Duration
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// key names one entry within a window: a revision and a client, or (in
// ModeInstance) a revision and the address of one of its pods.
type key struct {
	rev    types.NamespacedName
	client string
	pod    string
}

// entry is one key's counts in one window.
type entry struct {
	requests, units, micros, cold, coldUnits, refused int64
	// busy are a pod's busy intervals (a pod's entry only): pairs of
	// start and end, in microseconds since the window's start, in order.
	busy  []int64
	dirty bool
	frame uint64 // the last frame that carries it
}

// window is one window's entries.
type window struct {
	start, end time.Time
	entries    map[key]*entry
	order      []key // in creation order, for the rotation
	next       int   // where the rotation goes on
	clients    map[types.NamespacedName]int
}

// pod is one pod's requests in flight, in ModeInstance.
type pod struct {
	rev      types.NamespacedName
	inflight int
	since    time.Time
}

// Meter meters requests. Create one with New; a nil *Meter meters nothing.
type Meter struct {
	mode   string
	window time.Duration
	now    func() time.Time
	epoch  int64

	mu       sync.Mutex
	frames   uint64            // frames built, to mark their entries
	windows  map[int64]*window // by start, Unix ms
	entries  int
	overflow int64
	pods     map[string]*pod // by address
}

// New returns a Meter whose epoch is now.
func New(o Options) *Meter {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Window <= 0 {
		o.Window = time.Minute
	}
	return &Meter{mode: o.Mode, window: o.Window, now: o.Now, epoch: o.Now().UnixMilli(),
		windows: map[int64]*window{}, pods: map[string]*pod{}}
}

// Mode returns the Meter's mode.
func (m *Meter) Mode() string { return m.mode }

// Request meters a request of rev that reached the function: atFunction
// is its time there (all attempts'), coldStart how long it was held for a
// pod to start (0: none).
func (m *Meter) Request(rev types.NamespacedName, client string, atFunction, coldStart time.Duration) {
	if m == nil {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.entryLocked(now, rev, client)
	if e == nil {
		return
	}
	e.requests++
	if m.mode == metering.ModeRequest {
		e.units += metering.Units(atFunction)
		e.micros += atFunction.Microseconds()
	}
	if coldStart > 0 {
		e.cold++
		e.coldUnits += metering.Units(coldStart)
	}
}

// Refused counts a request of rev that Wake refused before it reached the
// function.
func (m *Meter) Refused(rev types.NamespacedName, client string) {
	if m == nil {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.entryLocked(now, rev, client); e != nil {
		e.refused++
	}
}

// entryLocked returns the entry of rev and client in the window holding
// now, creating it within the bounds; nil when none can be held.
func (m *Meter) entryLocked(now time.Time, rev types.NamespacedName, client string) *entry {
	w := m.windowLocked(now)
	if client != "" && w.entries[key{rev: rev, client: client}] == nil && w.clients[rev] >= MaxClientsPerRevision {
		client = ""
	}
	return m.keyLocked(w, key{rev: rev, client: client})
}

// keyLocked returns k's entry in w, creating it within MaxEntries; nil
// when none can be held.
func (m *Meter) keyLocked(w *window, k key) *entry {
	if e := w.entries[k]; e != nil {
		e.dirty = true
		return e
	}
	if m.entries >= MaxEntries {
		m.overflow++
		return nil
	}
	e := &entry{dirty: true}
	w.entries[k] = e
	w.order = append(w.order, k)
	m.entries++
	if k.client != "" {
		w.clients[k.rev]++
	}
	return e
}

// windowLocked returns the window holding now.
func (m *Meter) windowLocked(now time.Time) *window {
	s := m.startOf(now)
	w := m.windows[s.UnixMilli()]
	if w == nil {
		w = &window{start: s, end: s.Add(m.window), entries: map[key]*entry{}, clients: map[types.NamespacedName]int{}}
		m.windows[s.UnixMilli()] = w
	}
	return w
}

// startOf returns the start of the window holding t.
func (m *Meter) startOf(t time.Time) time.Time {
	ms := t.UnixMilli()
	return time.UnixMilli(ms - ms%m.window.Milliseconds())
}

// Overflow returns how many requests were not metered because MaxEntries
// entries were held.
func (m *Meter) Overflow() int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.overflow
}
