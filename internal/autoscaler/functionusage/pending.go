// Package functionusage writes what each Function used, per UTC day, to its
// status.usage: the sums of the usage records metering makes
// (meterrecords.Aggregator), over every revision and client of the
// Function, so that its namespace's users read it with kubectl.
//
// Only the leader writes (Writer). It takes the aggregator's new records
// every second into per-window sums per Function (pending), and writes
// each Function with sums at most once per Interval, at most
// WritesPerSecond over all, adding the sums to the status (Merge). Sums
// are added, not raised to a maximum as a Route's counts are, so a window
// must be counted once: status.usage.countedThrough is the end of the last
// window written, and only windows that start at or after it are added. A
// new leader starts from every record the aggregator retains (5 minutes),
// of which those its predecessor wrote are skipped; a takeover within
// that time loses nothing.
package functionusage

import (
	"cmp"
	"slices"
	"sync"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
)

// MaxPendingWindows bounds the window sums held per Function, waiting to
// be written: a day of 1-minute windows. A Function holds one or two
// between its writes; more only while its writes fail (about 100 bytes
// each). Beyond it the oldest go and are counted in DroppedMetric.
const MaxPendingWindows = 1440

// Window is what one Function used in one metering window, summed over its
// revisions and clients.
type Window struct {
	// Start and End bound the window.
	Start, End time.Time
	// Requests, Units, ColdStarts and Refused are the records' counts.
	Requests, Units, ColdStarts, Refused int64
	// GBSeconds and VCPUSeconds are the records' weighted units.
	GBSeconds, VCPUSeconds float64
}

// windowOf returns r's counts as a Window.
func windowOf(r metering.Record) Window {
	return Window{
		Start: r.WindowStart, End: r.WindowEnd,
		Requests: r.Requests, Units: r.Units, ColdStarts: r.ColdStarts, Refused: r.Refused,
		GBSeconds: r.GBSeconds, VCPUSeconds: r.VCPUSeconds,
	}
}

// add adds o's counts to w's, and extends w to o's end.
func (w *Window) add(o Window) {
	w.Requests += o.Requests
	w.Units += o.Units
	w.ColdStarts += o.ColdStarts
	w.Refused += o.Refused
	w.GBSeconds += o.GBSeconds
	w.VCPUSeconds += o.VCPUSeconds
	if o.End.After(w.End) {
		w.End = o.End
	}
}

// pending holds the Windows not yet written, per Function, oldest first.
// It is safe for concurrent use.
type pending struct {
	mu     sync.Mutex
	byFn   map[types.NamespacedName][]Window
	onDrop func(n int) // nil: uncounted
}

func newPending(onDrop func(int)) *pending {
	return &pending{byFn: map[types.NamespacedName][]Window{}, onDrop: onDrop}
}

// add adds each record to its Function's window; records of a revision
// whose Function cannot be told are left out.
func (p *pending) add(recs []metering.Record) {
	p.mu.Lock()
	defer p.mu.Unlock()
	dropped := 0
	for _, r := range recs {
		if r.Function == "" {
			continue
		}
		fk := types.NamespacedName{Namespace: r.Namespace, Name: r.Function}
		var n int
		p.byFn[fk], n = insert(p.byFn[fk], windowOf(r))
		dropped += n
	}
	p.dropped(dropped)
}

// insert adds w to ws (oldest first): to the window that starts at the
// same time, else as a window of its own. It keeps MaxPendingWindows, the
// latest, and returns how many it dropped.
func insert(ws []Window, w Window) ([]Window, int) {
	i, found := slices.BinarySearchFunc(ws, w.Start, func(x Window, t time.Time) int { return x.Start.Compare(t) })
	if found {
		ws[i].add(w)
		return ws, 0
	}
	ws = slices.Insert(ws, i, w)
	if n := len(ws) - MaxPendingWindows; n > 0 {
		return slices.Delete(ws, 0, n), n
	}
	return ws, 0
}

// keys returns the Functions with windows, sorted.
func (p *pending) keys() []types.NamespacedName {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]types.NamespacedName, 0, len(p.byFn))
	for fk := range p.byFn {
		out = append(out, fk)
	}
	slices.SortFunc(out, func(a, b types.NamespacedName) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return out
}

// take removes fk's windows and returns them.
func (p *pending) take(fk types.NamespacedName) []Window {
	p.mu.Lock()
	defer p.mu.Unlock()
	ws := p.byFn[fk]
	delete(p.byFn, fk)
	return ws
}

// restore puts back windows taken and not written, with those that came
// meanwhile.
func (p *pending) restore(fk types.NamespacedName, ws []Window) {
	p.mu.Lock()
	defer p.mu.Unlock()
	cur, dropped := p.byFn[fk], 0
	for _, w := range ws {
		var n int
		cur, n = insert(cur, w)
		dropped += n
	}
	p.byFn[fk] = cur
	p.dropped(dropped)
}

// count returns how many windows fk holds.
func (p *pending) count(fk types.NamespacedName) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.byFn[fk])
}

func (p *pending) dropped(n int) {
	if n > 0 && p.onDrop != nil {
		p.onDrop(n)
	}
}
