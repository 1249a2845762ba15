package meter

import (
	"slices"

	"github.com/wakefn/wake/internal/statwire"
)

// MaxFrameBusyNumbers bounds the busy-interval numbers of one frame (about
// 11 bytes each on the wire), so that a frame stays well within
// statwire.MaxFrameBytes.
const MaxFrameBusyNumbers = 40000

// frame is a frame being filled, within statwire.MaxMeterEntries entries
// and MaxFrameBusyNumbers busy numbers.
type frame struct {
	m    *statwire.Metering
	busy int
	seq  uint64 // marks the entries it carries
}

func (f *frame) full() bool {
	return len(f.m.Entries) >= statwire.MaxMeterEntries || f.busy >= MaxFrameBusyNumbers
}

// add adds k's entry of w unless the frame carries it already, and marks
// it sent.
func (f *frame) add(w *window, k key) {
	e := w.entries[k]
	if e.frame == f.seq {
		return
	}
	e.frame, e.dirty = f.seq, false
	f.m.Entries = append(f.m.Entries, statwire.MeterEntry{
		Namespace: k.rev.Namespace, Revision: k.rev.Name, Client: k.client, Pod: k.pod, Start: w.start.UnixMilli(),
		Requests: e.requests, Units: e.units, Micros: e.micros, ColdStarts: e.cold, ColdStartUnits: e.coldUnits, Refused: e.refused,
		Busy: slices.Clone(e.busy),
	})
	f.busy += len(e.busy)
}

// Snapshot returns what the next periodic frame carries: first the
// entries that changed since the last call, oldest window first; then, in
// turn, the entries of the windows that closed less than ResendFor ago,
// and a rotating share of the open window's others; within
// statwire.MaxMeterEntries entries and MaxFrameBusyNumbers (the rest wait
// for the next frames). Windows closed longer ago are forgotten. It
// returns nil when there is nothing to carry.
func (m *Meter) Snapshot() *statwire.Metering {
	if m == nil {
		return nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cutLocked(now)
	f := m.frameLocked()
	var live []*window
	for _, w := range m.sortedLocked() {
		if !now.Before(w.end.Add(ResendFor)) {
			m.entries -= len(w.order)
			delete(m.windows, w.start.UnixMilli())
			continue
		}
		live = append(live, w)
	}
	for _, w := range live {
		for _, k := range w.order {
			if f.full() {
				break
			}
			if w.entries[k].dirty {
				f.add(w, k)
			}
		}
	}
	for _, w := range live {
		share := len(w.order)
		if now.Before(w.end) {
			share = max(1, len(w.order)/rotateShare)
		}
		for i := 0; i < min(share, len(w.order)) && !f.full(); i++ {
			w.next %= len(w.order)
			f.add(w, w.order[w.next])
			w.next++
		}
	}
	if len(f.m.Entries) == 0 {
		return nil
	}
	return f.m
}

// Final returns every entry held, in as many frames as they need: what
// the reporter sends when the activator shuts down, after its last
// request ended.
func (m *Meter) Final() []*statwire.Metering {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.cutLocked(m.now())
	var out []*statwire.Metering
	f := m.frameLocked()
	for _, w := range m.sortedLocked() {
		for _, k := range w.order {
			if f.full() {
				out = append(out, f.m)
				f = m.frameLocked()
			}
			f.add(w, k)
		}
	}
	if len(f.m.Entries) > 0 {
		out = append(out, f.m)
	}
	return out
}

// frameLocked returns an empty frame of this Meter, with a fresh mark.
func (m *Meter) frameLocked() *frame {
	m.frames++
	return &frame{m: &statwire.Metering{Epoch: m.epoch, Mode: m.mode, WindowMillis: m.window.Milliseconds()}, seq: m.frames}
}

// sortedLocked returns the windows, oldest first.
func (m *Meter) sortedLocked() []*window {
	ws := make([]*window, 0, len(m.windows))
	for _, w := range m.windows {
		ws = append(ws, w)
	}
	slices.SortFunc(ws, func(a, b *window) int { return a.start.Compare(b.start) })
	return ws
}
