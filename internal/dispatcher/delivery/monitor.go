package delivery

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// monitorLoop checks the broker at once and then every StatusInterval
// until ctx ends.
func (c *Consumer) monitorLoop(ctx context.Context, cl *kgo.Client, adm *kadm.Client) {
	t := time.NewTicker(c.cfg.StatusInterval)
	defer t.Stop()
	for {
		c.check(ctx, cl, adm)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// check asks the broker for the consumed topics (reachability, missing
// topics), the assigned partitions' end and start offsets and the group's
// committed offsets, for Status.
func (c *Consumer) check(ctx context.Context, cl *kgo.Client, adm *kadm.Client) {
	cctx, cancel := context.WithTimeout(ctx, min(max(c.cfg.StatusInterval, 2*time.Second), 10*time.Second))
	defer cancel()
	topics, err := adm.ListTopics(cctx, c.cfg.Topics...)
	if ctx.Err() != nil {
		return
	}
	if err != nil {
		c.unreachable(err)
		return
	}
	var missing []string
	for _, t := range c.cfg.Topics {
		if d, ok := topics[t]; !ok || d.Err != nil {
			missing = append(missing, t)
		}
	}
	c.mu.Lock()
	appeared := false
	for t := range c.missing {
		appeared = appeared || !slices.Contains(missing, t)
	}
	clear(c.missing)
	for _, t := range missing {
		c.missing[t] = true
	}
	c.stat.BrokerReachable, c.stat.BrokerError = true, ""
	c.stat.MissingTopics = missing
	var assigned []string
	for tp := range c.parts {
		if !slices.Contains(assigned, tp.Topic) {
			assigned = append(assigned, tp.Topic)
		}
	}
	c.mu.Unlock()
	if appeared {
		// Consume a topic created after the start without waiting for
		// the next periodic metadata refresh.
		cl.ForceMetadataRefresh()
	}
	if len(assigned) == 0 {
		return
	}
	ends, endErr := adm.ListEndOffsets(cctx, assigned...)
	var starts kadm.ListedOffsets
	if c.cfg.StartAtEarliest {
		starts, _ = adm.ListStartOffsets(cctx, assigned...)
	}
	committed, fetchErr := adm.FetchOffsets(cctx, c.cfg.Group)
	c.mu.Lock()
	defer c.mu.Unlock()
	for tp, p := range c.parts {
		if o, ok := ends.Lookup(tp.Topic, tp.Partition); ok && endErr == nil && o.Err == nil {
			p.end = max(p.end, o.Offset)
		}
		if o, ok := starts.Lookup(tp.Topic, tp.Partition); ok && o.Err == nil {
			p.start = o.Offset
		}
		if o, ok := committed.Lookup(tp.Topic, tp.Partition); ok && fetchErr == nil && o.Err == nil && !p.committedByUs && o.At >= 0 {
			p.committed = o.At
		}
	}
}

// unreachable records that the broker could not be asked.
func (c *Consumer) unreachable(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	msg := err.Error()
	if errors.Is(err, context.DeadlineExceeded) && c.dialErr != "" {
		msg = c.dialErr
	}
	if c.stat.BrokerReachable || c.stat.BrokerError != msg {
		c.log.Info("Broker unreachable", "error", msg)
	}
	c.stat.BrokerReachable, c.stat.BrokerError = false, truncate(msg, 500)
}
