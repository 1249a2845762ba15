package delivery

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// Headers added to a dead letter, and to a reply.
const (
	HeaderDLQTopic     = "wake-dlq-topic"
	HeaderDLQPartition = "wake-dlq-partition"
	HeaderDLQOffset    = "wake-dlq-offset"
	HeaderDLQError     = "wake-dlq-error"
	HeaderDLQAttempts  = "wake-dlq-attempts"

	HeaderSourceTopic     = "wake-source-topic"
	HeaderSourcePartition = "wake-source-partition"
	HeaderSourceOffset    = "wake-source-offset"
)

// attempts delivers batch (records of one partition, in offset order)
// until it is finished: delivered (with its reply produced) or
// dead-lettered. It returns false if ctx ended first.
func (c *Consumer) attempts(ctx context.Context, batch []*kgo.Record) bool {
	id := c.failID()
	defer c.clearFailure(id)
	what := describe(batch)
	for failures := 0; ; {
		o := c.post(ctx, batch)
		if ctx.Err() != nil {
			return false
		}
		if o.ok() {
			return c.delivered(ctx, id, batch, &o)
		}
		failures++
		exhausted := !o.retryable() || failures >= c.cfg.Attempts
		msg := fmt.Sprintf("%s for %s (attempt %d)", o.reason(), what, failures)
		if exhausted && c.cfg.DeadLetterTopic == "" {
			msg += "; no dead-letter topic: retrying until delivered"
		}
		c.failed(id, msg, 1)
		c.log.Info("delivery failed", "topic", batch[0].Topic, "partition", batch[0].Partition,
			"offset", batch[0].Offset, "messages", len(batch), "attempt", failures, "reason", o.reason(), "retryable", o.retryable())

		if exhausted && c.cfg.DeadLetterTopic != "" {
			return c.deadLetter(ctx, id, batch, dlqReason(&o, failures), failures)
		}
		var wait time.Duration
		switch {
		case o.hasRetry:
			wait = min(o.retryAfter, c.cfg.MaxBackoff)
		case exhausted:
			wait = jitter(c.cfg.MaxBackoff, rand.Float64())
		default:
			wait = backoff(c.cfg.MinBackoff, c.cfg.MaxBackoff, failures, rand.Float64())
		}
		if !c.sleep(ctx, wait) {
			return false
		}
	}
}

// delivered finishes a batch answered with a 2xx: it produces the reply
// if there is one to produce.
func (c *Consumer) delivered(ctx context.Context, id uint64, batch []*kgo.Record, o *outcome) bool {
	if c.cfg.ReplyTopic != "" {
		switch {
		case o.tooLarge:
			c.count(func(s *Status) { s.RepliesTooLarge++ })
			c.log.Info("reply over 1 MiB not produced", "topic", batch[0].Topic, "partition", batch[0].Partition, "offset", batch[0].Offset)
		case len(o.body) > 0:
			if !c.produce(ctx, id, "the reply to "+describe(batch), replyRecord(c.cfg.ReplyTopic, batch, o)) {
				return false
			}
			c.count(func(s *Status) { s.Replied++ })
		}
	}
	c.count(func(s *Status) { s.Delivered += int64(len(batch)) })
	return true
}

// deadLetter produces batch to the dead-letter topic.
func (c *Consumer) deadLetter(ctx context.Context, id uint64, batch []*kgo.Record, reason string, attempts int) bool {
	recs := make([]*kgo.Record, len(batch))
	for i, r := range batch {
		recs[i] = deadLetterRecord(c.cfg.DeadLetterTopic, r, reason, attempts)
	}
	if !c.produce(ctx, id, "the dead letter of "+describe(batch), recs...) {
		return false
	}
	c.count(func(s *Status) { s.DeadLettered += int64(len(batch)) })
	c.log.Info("dead-lettered", "topic", batch[0].Topic, "partition", batch[0].Partition,
		"offset", batch[0].Offset, "messages", len(batch), "reason", reason, "deadLetterTopic", c.cfg.DeadLetterTopic)
	return true
}

// produce produces recs, retrying with backoff until they are
// acknowledged; it returns false if ctx ended first. Each failure is
// shown in Status.
func (c *Consumer) produce(ctx context.Context, id uint64, what string, recs ...*kgo.Record) bool {
	for failures := 1; ; failures++ {
		pctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
		err := c.cl.ProduceSync(pctx, fresh(recs)...).FirstErr()
		cancel()
		if err == nil {
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		msg := fmt.Sprintf("producing %s to %s: %s", what, recs[0].Topic, truncate(err.Error(), 200))
		c.failed(id, msg, 0)
		c.log.Info("produce failed", "what", what, "topic", recs[0].Topic, "attempt", failures, "error", err.Error())
		if !c.sleep(ctx, backoff(c.cfg.MinBackoff, c.cfg.MaxBackoff, failures, rand.Float64())) {
			return false
		}
	}
}

// fresh copies recs for another produce: the client keeps state in a
// record it produced (its context, among others).
func fresh(recs []*kgo.Record) []*kgo.Record {
	out := make([]*kgo.Record, len(recs))
	for i, r := range recs {
		out[i] = &kgo.Record{Topic: r.Topic, Key: r.Key, Value: r.Value, Headers: r.Headers}
	}
	return out
}

// sleep waits d on the Clock; it returns false if ctx ended first.
func (c *Consumer) sleep(ctx context.Context, d time.Duration) bool {
	t := c.cfg.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// failID allocates the id of a delivery's failures.
func (c *Consumer) failID() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.nextFail++
	return c.nextFail
}

// failed records a failure of delivery id, and adds attempts to Failed.
func (c *Consumer) failed(id uint64, msg string, attempts int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.stat.Failed += attempts
	if f := c.failing[id]; f != nil {
		f.err = msg
		return
	}
	c.failing[id] = &failure{since: c.cfg.Clock.Now(), err: msg}
}

// clearFailure forgets delivery id's failures: it finished or was
// abandoned.
func (c *Consumer) clearFailure(id uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.failing, id)
}

func (c *Consumer) count(f func(*Status)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	f(&c.stat)
}

// describe names a batch's records, e.g. "offset 17 of orders/2".
func describe(batch []*kgo.Record) string {
	first, last := batch[0], batch[len(batch)-1]
	if len(batch) == 1 {
		return fmt.Sprintf("offset %d of %s/%d", first.Offset, first.Topic, first.Partition)
	}
	return fmt.Sprintf("offsets %d-%d of %s/%d", first.Offset, last.Offset, first.Topic, first.Partition)
}

// dlqReason is the wake-dlq-error header, e.g. "HTTP 500 after 3
// attempts" or "HTTP 404, not retried".
func dlqReason(o *outcome, attempts int) string {
	if !o.retryable() {
		return o.reason() + ", not retried"
	}
	if attempts == 1 {
		return o.reason() + " after 1 attempt"
	}
	return fmt.Sprintf("%s after %d attempts", o.reason(), attempts)
}

// deadLetterRecord is r for the dead-letter topic: same key, value and
// headers, and the wake-dlq-* headers.
func deadLetterRecord(topic string, r *kgo.Record, reason string, attempts int) *kgo.Record {
	h := slices.Grow(slices.Clone(r.Headers), 5)
	h = append(h,
		kgo.RecordHeader{Key: HeaderDLQTopic, Value: []byte(r.Topic)},
		kgo.RecordHeader{Key: HeaderDLQPartition, Value: []byte(strconv.FormatInt(int64(r.Partition), 10))},
		kgo.RecordHeader{Key: HeaderDLQOffset, Value: []byte(strconv.FormatInt(r.Offset, 10))},
		kgo.RecordHeader{Key: HeaderDLQError, Value: []byte(reason)},
		kgo.RecordHeader{Key: HeaderDLQAttempts, Value: []byte(strconv.Itoa(attempts))},
	)
	return &kgo.Record{Topic: topic, Key: r.Key, Value: r.Value, Headers: h}
}

// replyRecord is the reply to batch: the response body, keyed by the
// message's key (no key for a batch of several), with the response's
// content type and the wake-source-* headers naming the (first) message.
func replyRecord(topic string, batch []*kgo.Record, o *outcome) *kgo.Record {
	first := batch[0]
	rec := &kgo.Record{Topic: topic, Value: o.body}
	if len(batch) == 1 {
		rec.Key = first.Key
	}
	if ct, ok := contentType([]byte(o.bodyType)); ok {
		rec.Headers = append(rec.Headers, kgo.RecordHeader{Key: "content-type", Value: []byte(ct)})
	}
	rec.Headers = append(rec.Headers,
		kgo.RecordHeader{Key: HeaderSourceTopic, Value: []byte(first.Topic)},
		kgo.RecordHeader{Key: HeaderSourcePartition, Value: []byte(strconv.FormatInt(int64(first.Partition), 10))},
		kgo.RecordHeader{Key: HeaderSourceOffset, Value: []byte(strconv.FormatInt(first.Offset, 10))},
	)
	return rec
}
