package delivery

import (
	"context"
	"errors"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// commitLoop commits every CommitInterval what was delivered since the
// last commit, until ctx ends.
func (c *Consumer) commitLoop(ctx context.Context, cl *kgo.Client) {
	t := time.NewTicker(c.cfg.CommitInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			cctx, cancel := context.WithTimeout(ctx, finalCommitTimeout)
			c.commit(cctx, cl)
			cancel()
		}
	}
}

// commit commits, for every assigned partition that moved, the offset
// below which every message was delivered.
func (c *Consumer) commit(ctx context.Context, cl *kgo.Client) {
	c.commitMu.Lock()
	defer c.commitMu.Unlock()
	c.mu.Lock()
	offsets := map[string]map[int32]kgo.EpochOffset{}
	for tp, p := range c.parts {
		if eo, ok := p.toCommit(); ok {
			if offsets[tp.Topic] == nil {
				offsets[tp.Topic] = map[int32]kgo.EpochOffset{}
			}
			offsets[tp.Topic][tp.Partition] = eo
		}
	}
	c.mu.Unlock()
	if len(offsets) > 0 {
		c.commitOffsets(ctx, cl, offsets)
	}
}

// commitOffsets commits offsets and records the result. c.commitMu must
// be held.
func (c *Consumer) commitOffsets(ctx context.Context, cl *kgo.Client, offsets map[string]map[int32]kgo.EpochOffset) {
	var errs []error
	var ok []TopicPartition
	cl.CommitOffsetsSync(ctx, offsets, func(_ *kgo.Client, _ *kmsg.OffsetCommitRequest, resp *kmsg.OffsetCommitResponse, err error) {
		if err != nil {
			errs = append(errs, err)
			return
		}
		for _, t := range resp.Topics {
			for _, p := range t.Partitions {
				if err := kerr.ErrorForCode(p.ErrorCode); err != nil {
					errs = append(errs, err)
					continue
				}
				ok = append(ok, TopicPartition{t.Topic, p.Partition})
			}
		}
	})
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, tp := range ok {
		if p := c.parts[tp]; p != nil {
			p.committed, p.committedByUs = offsets[tp.Topic][tp.Partition].Offset, true
		}
	}
	if err := errors.Join(errs...); err != nil {
		c.stat.CommitError = truncate(err.Error(), 500)
		c.log.Info("commit failed", "error", err.Error())
		return
	}
	c.stat.CommitError = ""
	c.log.V(1).Info("committed", "offsets", offsets)
}
