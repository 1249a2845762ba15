package delivery

import (
	"cmp"
	"slices"
	"time"
)

// TopicPartition names one partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// PartitionStatus is one assigned partition.
type PartitionStatus struct {
	Topic     string
	Partition int32
	// Committed is the group's committed offset (the next message to
	// deliver after a restart), -1 when unknown or none.
	Committed int64
	// End is the partition's end offset (high watermark) last seen, -1
	// when unknown.
	End int64
	// Lag is how many messages in the partition are not delivered yet:
	// End less the offset below which everything was delivered.
	Lag int64
	// Buffered is the messages fetched and waiting; InFlight those being
	// delivered.
	Buffered, InFlight int
	// Paused is true while fetching is paused because Buffered is full.
	Paused bool
}

// Status is a snapshot of a Consumer.
type Status struct {
	// BrokerReachable is true when the last metadata request succeeded;
	// BrokerError says why it did not.
	BrokerReachable bool
	BrokerError     string
	// Joined is true once the consumer group gave this consumer an
	// assignment (possibly empty); GroupError is the last group error.
	Joined     bool
	GroupError string
	// MissingTopics are the consumed topics the broker does not have (or
	// will not describe to this consumer).
	MissingTopics []string
	// Assigned are the partitions this consumer owns, sorted.
	Assigned []TopicPartition
	// InFlight is the messages being delivered; Buffered those fetched
	// and waiting.
	InFlight, Buffered int
	// Backlog is the sum of the assigned partitions' Lag.
	Backlog int64
	// Partitions details Assigned, in the same order.
	Partitions []PartitionStatus
	// Group is every partition of the consumed topics with the group's
	// committed offset and lag, whichever member consumes it, as the
	// broker last said (Buffered, InFlight and Paused are not set; Lag is
	// End less the committed offset, or less the start offset when none is
	// committed and the group starts at the earliest, else 0).
	Group []PartitionStatus
	// Delivered counts messages answered with a 2xx; Failed counts failed
	// attempts; DeadLettered counts messages produced to the dead-letter
	// topic; Replied counts replies produced; RepliesTooLarge counts 2xx
	// bodies over the reply bound (1 MiB) that were not produced.
	Delivered, Failed, DeadLettered, Replied, RepliesTooLarge int64
	// DeliveryError describes the oldest delivery still failing (its
	// last failure), e.g. "HTTP 500 for offset 17 of orders/2 (attempt
	// 3)", or a dead letter or reply that could not be produced;
	// FailingSince is when that delivery first failed. Both are zero
	// when no delivery is failing.
	DeliveryError string
	FailingSince  time.Time
	// CommitError is the last commit's error, "" after a success.
	CommitError string
}

// failure is one delivery that is failing.
type failure struct {
	since time.Time
	err   string
}

// Status returns a snapshot of the consumer. It is cheap and safe to call
// concurrently with Run.
func (c *Consumer) Status() Status {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.stat
	s.MissingTopics = slices.Clone(c.stat.MissingTopics)
	s.Group = slices.Clone(c.stat.Group)
	s.InFlight = c.inFlight
	s.Buffered = c.buffered
	for tp, p := range c.parts {
		s.Assigned = append(s.Assigned, tp)
		ps := PartitionStatus{
			Topic: tp.Topic, Partition: tp.Partition,
			Committed: p.committed, End: p.end,
			Buffered: len(p.queue), InFlight: p.inFlight, Paused: p.paused,
		}
		ps.Lag = p.lag(c.cfg.StartAtEarliest)
		s.Backlog += ps.Lag
		s.Partitions = append(s.Partitions, ps)
	}
	slices.SortFunc(s.Assigned, compareTP)
	slices.SortFunc(s.Partitions, func(a, b PartitionStatus) int {
		return compareTP(TopicPartition{a.Topic, a.Partition}, TopicPartition{b.Topic, b.Partition})
	})
	var oldest *failure
	for _, f := range c.failing {
		if oldest == nil || f.since.Before(oldest.since) {
			oldest = f
		}
	}
	if oldest != nil {
		s.DeliveryError, s.FailingSince = oldest.err, oldest.since
	}
	return s
}

func compareTP(a, b TopicPartition) int {
	return cmp.Or(cmp.Compare(a.Topic, b.Topic), cmp.Compare(a.Partition, b.Partition))
}
