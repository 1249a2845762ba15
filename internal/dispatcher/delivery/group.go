package delivery

import (
	"context"
	"slices"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// pinStart resolves and commits the start of partitions the group has no
// committed offset for, when starting at the end: otherwise a consumer
// that restarts before the first message arrives starts at the end again
// and skips what was produced while it was down. (Starting at the
// earliest needs no pin.) If the end offsets cannot be listed, the
// partitions start at the end unpinned.
func (c *Consumer) pinStart(ctx context.Context, offsets map[string]map[int32]kgo.Offset) (map[string]map[int32]kgo.Offset, error) {
	if c.cfg.StartAtEarliest {
		return offsets, nil
	}
	var topics []string
	for t, ps := range offsets {
		for _, o := range ps {
			if o.EpochOffset().Offset < 0 && !slices.Contains(topics, t) {
				topics = append(topics, t)
			}
		}
	}
	if len(topics) == 0 {
		return offsets, nil
	}
	select {
	case <-c.clReady:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	ends, err := kadm.NewClient(c.cl).ListEndOffsets(ctx, topics...)
	if err != nil {
		c.log.Info("could not list end offsets to pin the start", "error", err.Error())
		return offsets, nil
	}
	pins := map[string]map[int32]kgo.EpochOffset{}
	for t, ps := range offsets {
		for p, o := range ps {
			end, ok := ends.Lookup(t, p)
			if o.EpochOffset().Offset >= 0 || !ok || end.Err != nil {
				continue
			}
			ps[p] = kgo.NewOffset().At(end.Offset)
			if pins[t] == nil {
				pins[t] = map[int32]kgo.EpochOffset{}
			}
			pins[t][p] = kgo.EpochOffset{Epoch: -1, Offset: end.Offset}
		}
	}
	c.commitMu.Lock()
	c.commitOffsets(ctx, c.cl, pins)
	c.commitMu.Unlock()
	c.log.Info("pinned the start at the end", "offsets", pins)
	return offsets, nil
}

// onAssigned starts tracking newly assigned partitions. With
// BlockRebalanceOnPoll it never runs while a poll's records are being
// handed over, so the records of a partition always find it tracked.
func (c *Consumer) onAssigned(_ context.Context, _ *kgo.Client, assigned map[string][]int32) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for t, ps := range assigned {
		for _, p := range ps {
			tp := TopicPartition{t, p}
			if c.parts[tp] != nil {
				continue
			}
			c.parts[tp] = newPartition(c.base, tp)
			c.order = append(c.order, tp)
		}
	}
	c.stat.Joined, c.stat.GroupError = true, ""
	c.log.Info("partitions assigned", "assigned", assigned, "total", len(c.parts))
}

// onRevoked commits what was delivered in the revoked partitions and stops
// delivering them: deliveries in flight are abandoned and records waiting
// are dropped, so that the next owner delivers them from the commit.
func (c *Consumer) onRevoked(ctx context.Context, cl *kgo.Client, revoked map[string][]int32) {
	c.commitMu.Lock()
	offsets := c.drop(revoked)
	if len(offsets) > 0 && !c.closing.Load() {
		cctx, cancel := context.WithTimeout(ctx, finalCommitTimeout)
		c.commitOffsets(cctx, cl, offsets)
		cancel()
	}
	c.commitMu.Unlock()
	c.syncPause(cl)
	if len(revoked) > 0 {
		c.log.Info("partitions revoked", "revoked", revoked)
	}
}

// onLost stops delivering lost partitions, as onRevoked does, but commits
// nothing: the group no longer accepts this member's commits.
func (c *Consumer) onLost(_ context.Context, cl *kgo.Client, lost map[string][]int32) {
	c.commitMu.Lock()
	c.drop(lost)
	c.commitMu.Unlock()
	c.mu.Lock()
	c.stat.Joined = false
	c.mu.Unlock()
	c.syncPause(cl)
	c.log.Info("partitions lost", "lost", lost)
}

// drop forgets partitions and returns the offsets to commit for them.
func (c *Consumer) drop(tps map[string][]int32) map[string]map[int32]kgo.EpochOffset {
	c.mu.Lock()
	defer c.mu.Unlock()
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for t, ps := range tps {
		for _, pn := range ps {
			tp := TopicPartition{t, pn}
			p := c.parts[tp]
			if p == nil {
				continue
			}
			if eo, ok := p.toCommit(); ok {
				if offsets[t] == nil {
					offsets[t] = map[int32]kgo.EpochOffset{}
				}
				offsets[t][pn] = eo
			}
			p.cancel()
			c.buffered -= len(p.queue)
			p.queue = nil
			if p.paused {
				c.pauseDirty = true
			}
			delete(c.parts, tp)
			c.order = slices.DeleteFunc(c.order, func(x TopicPartition) bool { return x == tp })
		}
	}
	if len(c.parts) == 0 {
		c.order = nil
	}
	return offsets
}

// syncPause applies the wanted pauses: fetching is paused for a partition
// whose buffer is full and resumed once it drained, and resumed for a
// partition no longer assigned (pauses outlive assignments).
func (c *Consumer) syncPause(cl *kgo.Client) {
	c.pauseMu.Lock()
	defer c.pauseMu.Unlock()
	c.mu.Lock()
	if !c.pauseDirty {
		c.mu.Unlock()
		return
	}
	c.pauseDirty = false
	pause, resume := map[string][]int32{}, map[string][]int32{}
	for tp, p := range c.parts {
		if p.paused && !c.pausedApplied[tp] {
			pause[tp.Topic] = append(pause[tp.Topic], tp.Partition)
		}
	}
	for tp := range c.pausedApplied {
		if p := c.parts[tp]; p == nil || !p.paused {
			resume[tp.Topic] = append(resume[tp.Topic], tp.Partition)
		}
	}
	c.mu.Unlock()
	if len(pause) > 0 {
		cl.PauseFetchPartitions(pause)
		for t, ps := range pause {
			for _, p := range ps {
				c.pausedApplied[TopicPartition{t, p}] = true
			}
		}
	}
	if len(resume) > 0 {
		cl.ResumeFetchPartitions(resume)
		for t, ps := range resume {
			for _, p := range ps {
				delete(c.pausedApplied, TopicPartition{t, p})
			}
		}
	}
}
