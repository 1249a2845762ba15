package meter

import (
	"slices"

	"github.com/wakefn/wake/internal/statwire"
)

// Snapshot returns what the next periodic frame carries: every entry of
// the windows that closed less than ResendFor ago, the entries of the
// open window that changed since the last call, and a rotating share of
// its others; at most statwire.MaxMeterEntries (the rest wait for the
// next frames). Windows closed longer ago are forgotten. It returns nil
// when there is nothing to carry.
func (m *Meter) Snapshot() *statwire.Metering {
	if m == nil {
		return nil
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.frameLocked()
	for _, w := range m.sortedLocked() {
		if len(out.Entries) == statwire.MaxMeterEntries {
			break
		}
		switch {
		case !now.Before(w.end.Add(ResendFor)):
			m.entries -= len(w.order)
			delete(m.windows, w.start.UnixMilli())
		case !now.Before(w.end):
			for _, k := range w.order {
				if len(out.Entries) == statwire.MaxMeterEntries {
					break
				}
				out.Entries = append(out.Entries, w.entryOf(k))
			}
		default:
			w.changed(out)
		}
	}
	if len(out.Entries) == 0 {
		return nil
	}
	return out
}

// changed adds the open window's rotation share, then its other changed
// entries, to out: each entry once.
func (w *window) changed(out *statwire.Metering) {
	if len(w.order) == 0 {
		return
	}
	rotate := max(1, len(w.order)/rotateShare)
	for i := 0; i < min(rotate, len(w.order)) && len(out.Entries) < statwire.MaxMeterEntries; i++ {
		w.next %= len(w.order)
		out.Entries = append(out.Entries, w.entryOf(w.order[w.next]))
		w.next++
	}
	for _, k := range w.order {
		if len(out.Entries) == statwire.MaxMeterEntries {
			return
		}
		if w.entries[k].dirty {
			out.Entries = append(out.Entries, w.entryOf(k))
		}
	}
}

// Final returns every entry held, in frames of at most
// statwire.MaxMeterEntries: what the reporter sends when the activator
// shuts down, after its last request ended.
func (m *Meter) Final() []*statwire.Metering {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []*statwire.Metering
	cur := m.frameLocked()
	for _, w := range m.sortedLocked() {
		for _, k := range w.order {
			if len(cur.Entries) == statwire.MaxMeterEntries {
				out = append(out, cur)
				cur = m.frameLocked()
			}
			cur.Entries = append(cur.Entries, w.entryOf(k))
		}
	}
	if len(cur.Entries) > 0 {
		out = append(out, cur)
	}
	return out
}

// frameLocked returns an empty frame of this Meter.
func (m *Meter) frameLocked() *statwire.Metering {
	return &statwire.Metering{Epoch: m.epoch, Mode: m.mode, WindowMillis: m.window.Milliseconds()}
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

// entryOf returns k's entry on the wire, and marks it sent.
func (w *window) entryOf(k key) statwire.MeterEntry {
	e := w.entries[k]
	e.dirty = false
	return statwire.MeterEntry{
		Namespace: k.rev.Namespace, Revision: k.rev.Name, Client: k.client, Start: w.start.UnixMilli(),
		Requests: e.requests, Units: e.units, Micros: e.micros, ColdStarts: e.cold, ColdStartUnits: e.coldUnits, Refused: e.refused,
	}
}
