package delivery

import "github.com/twmb/franz-go/pkg/kgo"

// pump starts deliveries while there is room (MaxInFlight) and records
// waiting, serving the partitions in turn. Ordered: a partition has at
// most one delivery in flight. Unordered: as many as there is room for.
// c.mu must be held.
func (c *Consumer) pump() {
	if c.base.Err() != nil || len(c.order) == 0 {
		return
	}
	c.rr++
	for progress := true; progress; {
		progress = false
		for i := range len(c.order) {
			room := c.cfg.MaxInFlight - c.inFlight
			if room <= 0 {
				return
			}
			p := c.parts[c.order[(c.rr+i)%len(c.order)]]
			if len(p.queue) == 0 || p.ctx.Err() != nil || (c.cfg.Ordered && p.inFlight > 0) {
				continue
			}
			batch := p.take(min(c.cfg.MaxBatch, room))
			c.buffered -= len(batch)
			c.inFlight += len(batch)
			p.inFlight += len(batch)
			if p.paused && len(p.queue) <= c.bufCap/2 {
				p.paused, c.pauseDirty = false, true
			}
			c.wg.Add(1)
			go c.deliver(p, batch)
			progress = true
		}
	}
}

// deliver delivers batch and records the result.
func (c *Consumer) deliver(p *partition, batch []*kgo.Record) {
	defer c.wg.Done()
	finished := c.attempts(p.ctx, batch)
	c.mu.Lock()
	c.inFlight -= len(batch)
	if c.parts[p.tp] == p {
		p.inFlight -= len(batch)
		if finished {
			for _, r := range batch {
				p.track.done(r.Offset)
			}
		}
	}
	c.pump()
	c.mu.Unlock()
	c.syncPause(c.cl)
}
