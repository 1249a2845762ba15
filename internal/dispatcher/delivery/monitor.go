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
// topics), then for the partitions' offsets, for Status.
func (c *Consumer) check(ctx context.Context, cl *kgo.Client, adm *kadm.Client) {
	cctx, cancel := context.WithTimeout(ctx, min(max(c.cfg.StatusInterval, 2*time.Second), 10*time.Second))
	defer cancel()
	if c.checkTopics(cctx, cl, adm) {
		c.checkOffsets(cctx, adm)
	}
}

// checkTopics lists the consumed topics. It returns false if the broker
// did not answer.
func (c *Consumer) checkTopics(ctx context.Context, cl *kgo.Client, adm *kadm.Client) bool {
	topics, err := adm.ListTopics(ctx, c.cfg.Topics...)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			c.unreachable(err)
		}
		return false
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
	c.mu.Unlock()
	if appeared {
		// Consume a topic created after the start without waiting for
		// the next periodic metadata refresh.
		cl.ForceMetadataRefresh()
	}
	return true
}

// checkOffsets reads the end (and start) offsets of every partition of the
// consumed topics and the group's committed offsets: the assigned
// partitions' for Status.Partitions, all of them for Status.Group.
func (c *Consumer) checkOffsets(ctx context.Context, adm *kadm.Client) {
	ends, endErr := adm.ListEndOffsets(ctx, c.cfg.Topics...)
	var starts kadm.ListedOffsets
	if c.cfg.StartAtEarliest {
		starts, _ = adm.ListStartOffsets(ctx, c.cfg.Topics...)
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
	if endErr == nil && fetchErr == nil {
		c.stat.Group = groupView(ends, starts, committed)
	}
}

// groupView is every partition of ends with the group's committed offset
// and lag, sorted: Lag is the end less the committed offset, or less the
// start offset (starts is empty unless the group starts at the earliest)
// when none is committed, else 0.
func groupView(ends, starts kadm.ListedOffsets, committed kadm.OffsetResponses) []PartitionStatus {
	var out []PartitionStatus
	ends.Each(func(o kadm.ListedOffset) {
		if o.Err != nil {
			return
		}
		ps := PartitionStatus{Topic: o.Topic, Partition: o.Partition, Committed: -1, End: o.Offset}
		from := int64(-1)
		if co, ok := committed.Lookup(o.Topic, o.Partition); ok && co.Err == nil && co.At >= 0 {
			ps.Committed, from = co.At, co.At
		} else if so, ok := starts.Lookup(o.Topic, o.Partition); ok && so.Err == nil {
			from = so.Offset
		}
		if from >= 0 {
			ps.Lag = max(ps.End-from, 0)
		}
		out = append(out, ps)
	})
	slices.SortFunc(out, func(a, b PartitionStatus) int {
		return compareTP(TopicPartition{a.Topic, a.Partition}, TopicPartition{b.Topic, b.Partition})
	})
	return out
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
