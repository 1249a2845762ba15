package meter

import (
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
)

// MaxBusyIntervals bounds the busy intervals held per pod and window;
// beyond, a new interval is joined to the last one, and the gap between
// them is billed too.
const MaxBusyIntervals = 100

// PodBegin notes that a request of rev is sent to the pod at addr; in
// ModeInstance the pod is busy from the first such request until the last
// one's PodEnd. Outside ModeInstance it does nothing.
func (m *Meter) PodBegin(rev types.NamespacedName, addr string) {
	if m == nil || m.mode != metering.ModeInstance {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pods[addr]
	if p == nil {
		p = &pod{rev: rev, since: now}
		m.pods[addr] = p
	}
	p.inflight++
}

// PodEnd notes that a request PodBegin noted ended; the pod's busy
// interval ends with the last of them.
func (m *Meter) PodEnd(addr string) {
	if m == nil || m.mode != metering.ModeInstance {
		return
	}
	now := m.now()
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.pods[addr]
	if p == nil {
		return
	}
	if p.inflight--; p.inflight > 0 {
		return
	}
	delete(m.pods, addr)
	m.busyLocked(p.rev, addr, p.since, now)
}

// cutLocked records, for each pod still busy since before the window
// holding now, its busy time up to that window's start, so that a window
// is complete soon after it closes however long a pod stays busy.
func (m *Meter) cutLocked(now time.Time) {
	start := m.startOf(now)
	for addr, p := range m.pods {
		if p.since.Before(start) {
			m.busyLocked(p.rev, addr, p.since, start)
			p.since = start
		}
	}
}

// busyLocked records that the pod at addr of rev was busy from s to e,
// split at the windows' bounds.
func (m *Meter) busyLocked(rev types.NamespacedName, addr string, s, e time.Time) {
	for s.Before(e) {
		w := m.windowLocked(s)
		end := e
		if w.end.Before(end) {
			end = w.end
		}
		if en := m.keyLocked(w, key{rev: rev, pod: addr}); en != nil {
			en.addBusy(s.Sub(w.start).Microseconds(), end.Sub(w.start).Microseconds())
		}
		s = end
	}
}

// addBusy appends the interval [s, e) to the entry's: joined to the last
// one when it starts where that one ends, or when MaxBusyIntervals are
// held.
func (en *entry) addBusy(s, e int64) {
	n := len(en.busy)
	if n > 0 && (en.busy[n-1] == s || n == 2*MaxBusyIntervals) {
		en.busy[n-1] = e
		return
	}
	en.busy = append(en.busy, s, e)
}
