package scaler

import (
	"context"
	"time"

	"k8s.io/apimachinery/pkg/types"
)

// Poke asks for an immediate decision for a revision: a request arrived
// while it had no ready pod. It never blocks; pokes for one revision that
// arrive before the first is served collapse into one. The stat server's
// OnPoke fits.
func (s *Scaler) Poke(rev types.NamespacedName) {
	now := s.opts.Clock.Now()
	s.pokeMu.Lock()
	if _, ok := s.pokes[rev]; !ok {
		s.pokes[rev] = now
	}
	s.pokeMu.Unlock()
	select {
	case s.pokeSig <- struct{}{}:
	default:
	}
}

// servePokes decides at once for poked revisions that are at zero; a
// standby first gives the leader StandbyWakeDelay to do it (see
// standbyWake). It decides batch after batch, but writes each batch
// without waiting for the last one's writes: under load a wake's API calls
// take a second or more, and a wake must not queue behind another's.
func (s *Scaler) servePokes(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.pokeSig:
		}
		if !s.Leading() && !s.standbyWait(ctx) {
			return
		}
		s.pokeMu.Lock()
		poked := s.pokes
		s.pokes = make(map[types.NamespacedName]time.Time, len(poked))
		s.pokeMu.Unlock()
		keys := make([]types.NamespacedName, 0, len(poked))
		for k := range poked {
			keys = append(keys, k)
		}
		changes := s.decidePokes(keys)
		if len(changes) == 0 {
			continue
		}
		for i := range changes {
			changes[i].pokedAt = poked[changes[i].e.key]
		}
		setWaking(changes, true)
		s.wakeWrites.Go(func() {
			s.apply(ctx, changes, s.wakeSlots)
			setWaking(changes, false)
		})
	}
}

// servePoked decides for poked revisions and writes the changes, through
// the wake slots, before it returns.
func (s *Scaler) servePoked(ctx context.Context, keys []types.NamespacedName) {
	s.apply(ctx, s.decidePokes(keys), s.wakeSlots)
}

// decidePokes decides for those of the poked revisions that are at zero,
// and says what must change; one whose wake is being written is left
// alone (see decide).
func (s *Scaler) decidePokes(keys []types.NamespacedName) []change {
	leading := s.Leading()
	now := s.opts.Clock.Now()
	byNS := map[string][]*entry{}
	for _, k := range keys {
		e := s.reg.get(k)
		if e == nil {
			continue
		}
		e.mu.Lock()
		atZero := e.scale <= 0 // 0, or not read yet
		if atZero {
			// The poke's demand is in the collector now; do not wait for
			// the next sample.
			e.decider.Record(now, s.opts.Stats.Concurrency(k, now))
			e.lastSample = max(e.lastSample, now.Unix())
		}
		e.mu.Unlock()
		if atZero {
			byNS[k.Namespace] = append(byNS[k.Namespace], e)
		}
	}
	var changes []change
	for ns, poked := range byNS {
		if !leading && s.limited(ns) {
			continue // see standby.go
		}
		changes = s.decidePoked(changes, ns, poked, now)
	}
	if !leading {
		changes = standbyWakes(changes)
	}
	return changes
}

// setWaking marks the changes' revisions as being woken, or no longer.
func setWaking(changes []change, waking bool) {
	for _, ch := range changes {
		ch.e.mu.Lock()
		ch.e.waking = waking
		ch.e.mu.Unlock()
	}
}
