package routing

import "sync/atomic"

// Holder publishes the current table. A request sees either the old table or
// the new one, never a mix. The zero value holds an empty table.
type Holder struct {
	p atomic.Pointer[Table]
}

var emptyTable = &Table{}

// Load returns the current table; never nil.
func (h *Holder) Load() *Table {
	if t := h.p.Load(); t != nil {
		return t
	}
	return emptyTable
}

// Store publishes t.
func (h *Holder) Store(t *Table) { h.p.Store(t) }

// Loaded reports whether a table was ever stored (readiness).
func (h *Holder) Loaded() bool { return h.p.Load() != nil }
