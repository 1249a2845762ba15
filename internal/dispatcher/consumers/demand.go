package consumers

import (
	"github.com/wakefn/wake/internal/dispatcher/delivery"
	"github.com/wakefn/wake/internal/statwire"
)

// Demand returns, per revision, the requests its triggers' backlogs would
// keep in flight beyond those in flight now: the activators already count
// the deliveries in flight, so the autoscaler's sum of both is the
// backlog, capped at what the consumers can send at once (Capacity). It has
// the signature of the stats Reporter's Options.Demand.
func (r *Registry) Demand() []statwire.Stat {
	r.mu.Lock()
	runs := make([]*run, 0, len(r.running))
	for _, ru := range r.running {
		if ru.spec.Revision.Name != "" {
			runs = append(runs, ru)
		}
	}
	r.mu.Unlock()
	byRev := map[statwire.Stat]float64{}
	for _, ru := range runs {
		d := Pending(ru.spec.Config, ru.consumer.Status())
		if d <= 0 {
			continue
		}
		byRev[statwire.Stat{Namespace: ru.spec.Revision.Namespace, Revision: ru.spec.Revision.Name}] += d
	}
	out := make([]statwire.Stat, 0, len(byRev))
	for k, d := range byRev {
		k.AverageConcurrency = d
		out = append(out, k)
	}
	return out
}

// Pending is the requests a consumer with cfg and status would add to
// those in flight to work its backlog: the backlog in requests (batches of
// cfg.MaxBatch) up to Capacity, less the requests in flight.
func Pending(cfg delivery.Config, st delivery.Status) float64 {
	batch := int64(max(cfg.MaxBatch, 1))
	wanted := (st.Backlog + batch - 1) / batch
	wanted = min(wanted, int64(Capacity(cfg, st)))
	inFlight := (int64(st.InFlight) + batch - 1) / batch
	return float64(max(wanted-inFlight, 0))
}

// Capacity is the most requests a consumer with cfg and status sends at
// once: one per assigned partition in per-partition order, else its
// MaxInFlight messages in batches of MaxBatch; never more than
// MaxInFlight.
func Capacity(cfg delivery.Config, st delivery.Status) int {
	batch := max(cfg.MaxBatch, 1)
	inFlight := max(cfg.MaxInFlight, 1)
	c := (inFlight + batch - 1) / batch
	if cfg.Ordered {
		c = min(c, len(st.Assigned))
	}
	return c
}
