// Package meterrecords turns what the activators metered (statwire.Metering,
// carried by their stats frames) into usage records (metering.Record), and
// hands them to the sinks on the leader (Exporter).
//
// Each activator's counts are cumulative for one epoch (one process) and
// one window, so the Aggregator keeps the latest counts of every source and
// epoch per window and key, taking the larger of each count (a frame that
// arrives late never lowers one), and sums over them. A window is final
// Settle after it ends: by then every activator has sent its last counts
// of it again and again (meter.ResendFor). Counts that arrive for a final
// window are dropped and counted (reason "late"); so are those of a
// window that began before this process started, which it cannot have
// whole (reason "incomplete": the leader that ran then exported it).
//
// Every replica aggregates and finalizes, so that a new leader has the
// records of the last Retain and exports them again: a consumer
// deduplicates them by their ID, which is the same wherever it is made.
package meterrecords

import (
	"cmp"
	"slices"
	"strings"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/names"
	"github.com/wakefn/wake/internal/statwire"
)

// Defaults of the Options.
const (
	// DefaultSettle is how long after a window ends it is final.
	DefaultSettle = 20 * time.Second
	// DefaultRetain is how long the records of a final window are kept
	// for a new leader to export again.
	DefaultRetain = 5 * time.Minute
	// DefaultMaxEntries bounds the entries held over all windows,
	// sources and keys.
	DefaultMaxEntries = 500000
)

// JoinDelay bounds how long after a stat server starts every activator
// has connected to it: the activators resolve the stat servers every 5
// seconds, and redial with a backoff.
const JoinDelay = 10 * time.Second

// Reasons counts are dropped for.
const (
	DropInvalid    = "invalid"
	DropLate       = "late"
	DropIncomplete = "incomplete"
	DropOverflow   = "overflow"
)

// Options configure an Aggregator.
type Options struct {
	// Started is when this process began to collect; zero means now.
	Started time.Time
	// Settle, Retain and MaxEntries: zero means the defaults.
	Settle     time.Duration
	Retain     time.Duration
	MaxEntries int
	// Weights returns what a second of a revision's container weighs;
	// nil weighs nothing (records carry units only).
	Weights func(rev types.NamespacedName) metering.Weights
	// ColdStartBillable reports whether cold-start holds are billed; nil
	// means they are not.
	ColdStartBillable func() bool
	// OnDrop, if set, is told of every entry dropped, with the reason.
	OnDrop func(reason string, n int)
}

// windowKey names one window.
type windowKey struct{ start, length int64 } // Unix ms

// entryKey names one key's counts within a window: a revision and a
// client, or (instance mode) a revision and one of its pods.
type entryKey struct{ ns, rev, client, pod string }

// sourceKey names one activator process.
type sourceKey struct {
	src   string
	epoch int64
}

// window holds one window's counts by key and source.
type window struct {
	mode   string
	counts map[entryKey]map[sourceKey]statwire.MeterEntry
}

// retained is one finalized record and its sequence number.
type retained struct {
	seq uint64
	at  time.Time
	rec metering.Record
}

// Aggregator sums the activators' metering into records. Create with New.
type Aggregator struct {
	o Options

	mu      sync.Mutex
	windows map[windowKey]*window
	final   map[windowKey]time.Time // finalized windows, until they age out
	entries int
	recent  []retained
	seq     uint64
}

// New returns an empty Aggregator.
func New(o Options) *Aggregator {
	if o.Settle <= 0 {
		o.Settle = DefaultSettle
	}
	if o.Retain <= 0 {
		o.Retain = DefaultRetain
	}
	if o.MaxEntries <= 0 {
		o.MaxEntries = DefaultMaxEntries
	}
	if o.Started.IsZero() {
		o.Started = time.Now()
	}
	return &Aggregator{o: o, windows: map[windowKey]*window{}, final: map[windowKey]time.Time{}}
}

// Apply takes the metering of one frame from src (its authenticated pod).
func (a *Aggregator) Apply(src string, m *statwire.Metering) {
	if m == nil {
		return
	}
	if m.WindowMillis <= 0 || (m.Mode != metering.ModeRequest && m.Mode != metering.ModeInstance) {
		a.drop(DropInvalid, len(m.Entries))
		return
	}
	sk := sourceKey{src: src, epoch: m.Epoch}
	dropped := map[string]int{}
	a.mu.Lock()
	for _, e := range m.Entries {
		if !e.Valid() || e.Start%m.WindowMillis != 0 || (len(e.Busy) > 0 && e.Busy[len(e.Busy)-1] > m.WindowMillis*1000) {
			dropped[DropInvalid]++
			continue
		}
		wk := windowKey{start: e.Start, length: m.WindowMillis}
		if _, done := a.final[wk]; done {
			dropped[DropLate]++
			continue
		}
		ek := entryKey{ns: e.Namespace, rev: e.Revision, client: e.Client, pod: e.Pod}
		w := a.windows[wk]
		old, seen := w.get(ek, sk)
		if !seen {
			if a.entries >= a.o.MaxEntries {
				dropped[DropOverflow]++
				continue
			}
			a.entries++
		}
		if w == nil {
			w = &window{mode: m.Mode, counts: map[entryKey]map[sourceKey]statwire.MeterEntry{}}
			a.windows[wk] = w
		}
		w.set(ek, sk, atLeast(old, e))
	}
	a.mu.Unlock()
	for reason, n := range dropped {
		a.drop(reason, n)
	}
}

// get returns the counts of ek from sk, if w has them.
func (w *window) get(ek entryKey, sk sourceKey) (statwire.MeterEntry, bool) {
	if w == nil {
		return statwire.MeterEntry{}, false
	}
	e, ok := w.counts[ek][sk]
	return e, ok
}

// set stores the counts of ek from sk.
func (w *window) set(ek entryKey, sk sourceKey, e statwire.MeterEntry) {
	bySource := w.counts[ek]
	if bySource == nil {
		bySource = map[sourceKey]statwire.MeterEntry{}
		w.counts[ek] = bySource
	}
	bySource[sk] = e
}

// atLeast returns e with each count raised to old's where old's is larger.
func atLeast(old, e statwire.MeterEntry) statwire.MeterEntry {
	e.Requests = max(e.Requests, old.Requests)
	e.Units = max(e.Units, old.Units)
	e.Micros = max(e.Micros, old.Micros)
	e.ColdStarts = max(e.ColdStarts, old.ColdStarts)
	e.ColdStartUnits = max(e.ColdStartUnits, old.ColdStartUnits)
	e.Refused = max(e.Refused, old.Refused)
	// A pod's intervals only grow: appended to, or the last one longer.
	if n, o := len(e.Busy), len(old.Busy); o > n || (o == n && n > 0 && old.Busy[n-1] > e.Busy[n-1]) {
		e.Busy = old.Busy
	}
	return e
}

func (a *Aggregator) drop(reason string, n int) {
	if n > 0 && a.o.OnDrop != nil {
		a.o.OnDrop(reason, n)
	}
}

// Tick finalizes the windows that ended Settle before now into records,
// and forgets what is older than Retain. It returns how many records it
// made.
func (a *Aggregator) Tick(now time.Time) int {
	billCold := a.o.ColdStartBillable != nil && a.o.ColdStartBillable()
	a.mu.Lock()
	defer a.mu.Unlock()
	made, incomplete := 0, 0
	for _, wk := range a.sortedWindowsLocked() {
		start, end := time.UnixMilli(wk.start).UTC(), time.UnixMilli(wk.start+wk.length).UTC()
		if now.Before(end.Add(a.o.Settle)) {
			continue
		}
		w := a.windows[wk]
		delete(a.windows, wk)
		a.final[wk] = end
		for _, bySource := range w.counts {
			a.entries -= len(bySource)
		}
		if end.Before(a.o.Started.Add(JoinDelay - statwire.MeterResendFor)) {
			incomplete += len(w.counts)
			continue
		}
		for _, rec := range a.records(w, start, end, billCold) {
			a.seq++
			a.recent = append(a.recent, retained{seq: a.seq, at: now, rec: rec})
			made++
		}
	}
	for wk, end := range a.final {
		if now.Sub(end) > a.o.Retain+a.o.Settle {
			delete(a.final, wk)
		}
	}
	i := 0
	for i < len(a.recent) && now.Sub(a.recent[i].at) > a.o.Retain {
		i++
	}
	a.recent = slices.Delete(a.recent, 0, i)
	if incomplete > 0 && a.o.OnDrop != nil {
		a.o.OnDrop(DropIncomplete, incomplete)
	}
	return made
}

// sortedWindowsLocked returns the windows' keys, oldest first.
func (a *Aggregator) sortedWindowsLocked() []windowKey {
	keys := make([]windowKey, 0, len(a.windows))
	for wk := range a.windows {
		keys = append(keys, wk)
	}
	slices.SortFunc(keys, func(x, y windowKey) int { return cmp.Compare(x.start, y.start) })
	return keys
}

// records sums w's counts over the sources into one record per key,
// sorted by key. A pod's busy intervals from every source are united
// first, then each is rounded up, into the units of its revision's record
// without a client.
func (a *Aggregator) records(w *window, start, end time.Time, billCold bool) []metering.Record {
	sums := map[entryKey]*statwire.MeterEntry{}
	sumOf := func(ek entryKey) *statwire.MeterEntry {
		if sums[ek] == nil {
			sums[ek] = &statwire.MeterEntry{}
		}
		return sums[ek]
	}
	for ek, bySource := range w.counts {
		if ek.pod != "" {
			units, micros := busyUnits(bySource)
			sum := sumOf(entryKey{ns: ek.ns, rev: ek.rev})
			sum.Units += units
			sum.Micros += micros
			continue
		}
		sum := sumOf(ek)
		for _, e := range bySource {
			sum.Requests += e.Requests
			sum.Units += e.Units
			sum.Micros += e.Micros
			sum.ColdStarts += e.ColdStarts
			sum.ColdStartUnits += e.ColdStartUnits
			sum.Refused += e.Refused
		}
	}
	out := make([]metering.Record, 0, len(sums))
	for ek, sum := range sums {
		k := metering.Key{Namespace: ek.ns, Function: names.FunctionOf(ek.rev), Revision: ek.rev, Client: ek.client}
		r := metering.Record{
			ID: metering.RecordID(k, start), Key: k, Mode: w.mode, WindowStart: start, WindowEnd: end,
			Requests: sum.Requests, Units: sum.Units, ActualMillis: sum.Micros / 1000,
			ColdStarts: sum.ColdStarts, ColdStartUnits: sum.ColdStartUnits, ColdStartBilled: billCold, Refused: sum.Refused,
		}
		if billCold {
			r.Units += sum.ColdStartUnits
		}
		if a.o.Weights != nil {
			r.GBSeconds, r.VCPUSeconds = a.o.Weights(types.NamespacedName{Namespace: ek.ns, Name: ek.rev}).Seconds(r.Units)
		}
		out = append(out, r)
	}
	slices.SortFunc(out, func(x, y metering.Record) int {
		return strings.Compare(x.Namespace+"/"+x.Revision+"/"+x.Client, y.Namespace+"/"+y.Revision+"/"+y.Client)
	})
	return out
}

// busyUnits unites one pod's busy intervals from every source and returns
// the units they bill, each interval rounded up, and their time in
// microseconds.
func busyUnits(bySource map[sourceKey]statwire.MeterEntry) (units, micros int64) {
	var all [][2]int64
	for _, e := range bySource {
		for i := 0; i+1 < len(e.Busy); i += 2 {
			all = append(all, [2]int64{e.Busy[i], e.Busy[i+1]})
		}
	}
	slices.SortFunc(all, func(x, y [2]int64) int { return cmp.Compare(x[0], y[0]) })
	bill := func(s, e int64) {
		d := time.Duration(e-s) * time.Microsecond
		units += metering.Units(d)
		micros += e - s
	}
	for i := 0; i < len(all); {
		s, e := all[i][0], all[i][1]
		for i++; i < len(all) && all[i][0] <= e; i++ {
			e = max(e, all[i][1])
		}
		bill(s, e)
	}
	return units, micros
}

// Since returns the retained records after sequence number seq (0: all
// retained), oldest first, and the sequence number to ask from next.
func (a *Aggregator) Since(seq uint64) ([]metering.Record, uint64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	i, _ := slices.BinarySearchFunc(a.recent, seq+1, func(r retained, s uint64) int {
		switch {
		case r.seq < s:
			return -1
		case r.seq > s:
			return 1
		}
		return 0
	})
	out := make([]metering.Record, 0, len(a.recent)-i)
	for _, r := range a.recent[i:] {
		out = append(out, r.rec)
	}
	return out, a.seq
}
