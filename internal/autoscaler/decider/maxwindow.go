package decider

import "time"

// maxWindow answers the maximum of the values recorded over the last d. It
// keeps a deque of decreasing values, so each record is amortised O(1).
type maxWindow struct {
	d time.Duration
	q []timedValue
}

type timedValue struct {
	at time.Time
	v  int32
}

// record adds v at now and returns the maximum over (now-d, now].
func (m *maxWindow) record(now time.Time, v int32) int32 {
	for len(m.q) > 0 && m.q[len(m.q)-1].v <= v {
		m.q = m.q[:len(m.q)-1]
	}
	m.q = append(m.q, timedValue{at: now, v: v})
	cut := 0
	for cut < len(m.q)-1 && !m.q[cut].at.After(now.Add(-m.d)) {
		cut++
	}
	if cut > 0 {
		m.q = append(m.q[:0], m.q[cut:]...)
	}
	return m.q[0].v
}

// reset forgets every recorded value.
func (m *maxWindow) reset() { m.q = m.q[:0] }
