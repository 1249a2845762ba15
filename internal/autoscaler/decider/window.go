package decider

import "math"

// window keeps one concurrency sample per second over the stable window, in
// a ring indexed by Unix second, and answers the stable and panic averages
// over it. The panic window is the newest part of the same ring.
//
// Seconds without a sample between two samples count as zero. A window
// (stable or panic) restarts at the first non-zero sample after a whole
// window of zeros: its average then covers only the seconds since that
// sample, so a burst after idleness is seen at full height at once.
type window struct {
	buckets  []float64
	panicLen int64
	// total is the sum of buckets, kept as samples come and go, so that the
	// stable average does not sum the whole ring at every decision. It is
	// recomputed exactly once per turn of the ring to shed float drift.
	total   float64
	records int

	has   bool  // any sample recorded
	first int64 // second of the first sample
	last  int64 // second of the newest sample

	hasNonZero  bool
	lastNonZero int64 // second of the newest non-zero sample
	stableStart int64 // first second of the current stable run
	panicStart  int64 // first second of the current panic run
}

func newWindow(stableLen, panicLen int) window {
	return window{buckets: make([]float64, stableLen), panicLen: int64(panicLen)}
}

func (w *window) stableLen() int64 { return int64(len(w.buckets)) }

func (w *window) index(sec int64) int {
	n := w.stableLen()
	return int(((sec % n) + n) % n)
}

// record stores v as the sample of second sec, replacing an earlier sample
// of the same second. Samples older than the newest are ignored, as are
// negative and NaN values.
func (w *window) record(sec int64, v float64) {
	if math.IsNaN(v) || v < 0 {
		return
	}
	if !w.has {
		w.has, w.first, w.last = true, sec, sec
		w.clearAll()
	}
	if sec < w.last {
		return
	}
	if sec > w.last {
		if sec-w.last >= w.stableLen() {
			w.clearAll()
		} else {
			for s := w.last + 1; s <= sec; s++ {
				w.set(w.index(s), 0)
			}
		}
		w.last = sec
	}
	if v > 0 {
		if !w.hasNonZero || sec-w.lastNonZero >= w.stableLen() {
			w.stableStart = sec
		}
		if !w.hasNonZero || sec-w.lastNonZero >= w.panicLen {
			w.panicStart = sec
		}
		w.hasNonZero, w.lastNonZero = true, sec
	}
	w.set(w.index(sec), v)
	if w.records++; w.records >= len(w.buckets) {
		w.records, w.total = 0, 0
		for _, b := range w.buckets {
			w.total += b
		}
	}
}

func (w *window) set(i int, v float64) {
	w.total += v - w.buckets[i]
	w.buckets[i] = v
}

func (w *window) clearAll() {
	clear(w.buckets)
	w.total = 0
}

// average is the mean of the samples of the n newest seconds, counting from
// the run start when that is more recent.
func (w *window) average(n, start int64) float64 {
	if !w.hasNonZero || w.last-w.lastNonZero >= n {
		return 0
	}
	from := max(w.last-n+1, start)
	sum := 0.0
	if n == w.stableLen() {
		// Every bucket before a run start is zero: a run starts only after
		// a whole window of zeros. So the ring's total is the run's sum.
		sum = max(w.total, 0)
	} else {
		for s := from; s <= w.last; s++ {
			sum += w.buckets[w.index(s)]
		}
	}
	return round6(sum / float64(w.last-from+1))
}

func (w *window) stableAverage() float64 { return w.average(w.stableLen(), w.stableStart) }

func (w *window) panicAverage() float64 { return w.average(w.panicLen, w.panicStart) }

// resize keeps the newest samples that fit into a ring of stableLen seconds.
func (w *window) resize(stableLen, panicLen int) {
	nw := newWindow(stableLen, panicLen)
	if w.has {
		nw.has, nw.first, nw.last = true, w.first, w.last
		nw.hasNonZero, nw.lastNonZero = w.hasNonZero, w.lastNonZero
		nw.stableStart, nw.panicStart = w.stableStart, w.panicStart
		keep := min(w.stableLen(), nw.stableLen())
		for s := w.last - keep + 1; s <= w.last; s++ {
			nw.set(nw.index(s), w.buckets[w.index(s)])
		}
	}
	*w = nw
}
