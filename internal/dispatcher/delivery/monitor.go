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
// topics), then for the assigned partitions' offsets, for Status.
func (c *Consumer) check(ctx context.Context, cl *kgo.Client, adm *kadm.Client) {
	cctx, cancel := context.WithTimeout(ctx, min(max(c.cfg.StatusInterval, 2*time.Second), 10*time.Second))
	defer cancel()
	assigned, ok := c.checkTopics(cctx, cl, adm)
	if ok && len(assigned) > 0 {
		c.checkOffsets(cctx, adm, assigned)
	}
}

// checkTopics lists the consumed topics. It returns the topics of the
// assigned partitions, and false if the broker did not answer.
func (c *Consumer) checkTopics(ctx context.Context, cl *kgo.Client, adm *kadm.Client) ([]string, bool) {
	topics, err := adm.ListTopics(ctx, c.cfg.Topics...)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			c.unreachable(err)
		}
		return nil, false
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
	return assigned, true
}

// checkOffsets reads the end (and start) offsets of the assigned
// partitions and the group's committed offsets.
func (c *Consumer) checkOffsets(ctx context.Context, adm *kadm.Client, topics []string) {
	ends, endErr := adm.ListEndOffsets(ctx, topics...)
	var starts kadm.ListedOffsets
	if c.cfg.StartAtEarliest {
		starts, _ = adm.ListStartOffsets(ctx, topics...)
	}
	committed, fetchErr := adm.FetchOffsets(ctx, c.cfg.Group)
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
		c.log.Info("broker unreachable", "error", msg)
	}
	c.stat.BrokerReachable, c.stat.BrokerError = false, truncate(msg, 500)
}
