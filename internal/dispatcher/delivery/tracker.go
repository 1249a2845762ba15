package delivery

// tracker follows one partition's records from fetch to finish and tells
// how far the partition may be committed: up to, not including, the
// lowest offset received and not yet finished. Records finish out of order
// (unordered delivery); the commit point only moves over a contiguous run
// of finished records. Offsets need not be contiguous (compaction,
// transaction markers): "contiguous" means in the order received.
//
// A tracker is pure and not safe for concurrent use.
type tracker struct {
	// window holds the received records from the oldest unfinished one
	// on, in increasing offset order.
	window []trackEntry
	// last is the highest offset added, -1 before any.
	last int64
	// next and nextEpoch are the commit point once the window is empty:
	// one past the last finished record, and that record's leader epoch.
	next      int64
	nextEpoch int32
}

type trackEntry struct {
	offset int64
	epoch  int32
	done   bool
}

func newTracker() tracker { return tracker{last: -1, next: -1, nextEpoch: -1} }

// add records a fetched record. It returns false, and tracks nothing, for
// an offset at or below one already added: a record fetched twice must not
// be delivered twice nor move the commit point back.
func (t *tracker) add(offset int64, epoch int32) bool {
	if offset <= t.last {
		return false
	}
	t.last = offset
	t.window = append(t.window, trackEntry{offset: offset, epoch: epoch})
	return true
}

// done marks the record at offset finished (delivered or dead-lettered)
// and advances the commit point over the finished prefix. An offset not
// in the window is ignored.
func (t *tracker) done(offset int64) {
	i := t.find(offset)
	if i < 0 || t.window[i].done {
		return
	}
	t.window[i].done = true
	n := 0
	for n < len(t.window) && t.window[n].done {
		n++
	}
	if n > 0 {
		e := t.window[n-1]
		t.next, t.nextEpoch = e.offset+1, e.epoch
		// Drop the finished prefix; copy down when the backing array is
		// mostly garbage so it does not grow without bound.
		t.window = t.window[n:]
		if cap(t.window) > 64 && len(t.window) < cap(t.window)/4 {
			t.window = append([]trackEntry(nil), t.window...)
		}
	}
}

// find is the index of offset in the window, or -1.
func (t *tracker) find(offset int64) int {
	lo, hi := 0, len(t.window)
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if t.window[m].offset < offset {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(t.window) && t.window[lo].offset == offset {
		return lo
	}
	return -1
}

// position is the commit point: the offset to commit (the next record to
// consume after a restart) and the leader epoch to commit with it. ok is
// false before any record was added.
func (t *tracker) position() (offset int64, epoch int32, ok bool) {
	if len(t.window) > 0 {
		return t.window[0].offset, t.window[0].epoch, true
	}
	if t.next < 0 {
		return 0, -1, false
	}
	return t.next, t.nextEpoch, true
}

// pending is how many received records are not finished, plus finished
// ones waiting behind an unfinished one.
func (t *tracker) pending() int { return len(t.window) }
