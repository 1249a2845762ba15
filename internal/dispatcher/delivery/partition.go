package delivery

import (
	"context"

	"github.com/twmb/franz-go/pkg/kgo"
)

// partition is the state of one assigned partition, guarded by
// Consumer.mu. A partition is replaced, never reused, when it is assigned
// again: a delivery of the old one finds itself stale.
type partition struct {
	tp TopicPartition
	// ctx ends when the partition is revoked or lost, or Run ends:
	// deliveries in flight for it are abandoned.
	ctx    context.Context
	cancel context.CancelFunc
	// queue is the fetched records not yet handed to a delivery, in
	// offset order.
	queue []*kgo.Record
	// track follows every record from fetch to finish.
	track tracker
	// inFlight is the records being delivered.
	inFlight int
	// committed is the offset last committed by this consumer, or else
	// the group's committed offset as last read from the broker; -1 when
	// unknown. committedByUs is true in the first case.
	committed     int64
	committedByUs bool
	// end and start are the partition's end and log start offsets last
	// seen, -1 when unknown.
	end, start int64
	// paused is whether fetching is wanted paused (queue is full).
	paused bool
}

func newPartition(parent context.Context, tp TopicPartition) *partition {
	ctx, cancel := context.WithCancel(parent)
	return &partition{tp: tp, ctx: ctx, cancel: cancel, track: newTracker(), committed: -1, end: -1, start: -1}
}

// position is the offset below which every message is delivered, and
// whether it is known.
func (p *partition) position(startAtEarliest bool) (int64, bool) {
	if off, _, ok := p.track.position(); ok {
		return off, true
	}
	if p.committed >= 0 {
		return p.committed, true
	}
	if startAtEarliest && p.start >= 0 {
		return p.start, true
	}
	if !startAtEarliest && p.end >= 0 {
		return p.end, true
	}
	return 0, false
}

// lag is the messages of the partition not delivered yet, as far as
// known.
func (p *partition) lag(startAtEarliest bool) int64 {
	pos, ok := p.position(startAtEarliest)
	if !ok || p.end < 0 {
		return 0
	}
	return max(p.end-pos, 0)
}

// take removes up to n records from the front of the queue.
func (p *partition) take(n int) []*kgo.Record {
	n = min(n, len(p.queue))
	batch := make([]*kgo.Record, n)
	copy(batch, p.queue)
	clear(p.queue[:n]) // let the records go once delivered
	p.queue = p.queue[n:]
	if len(p.queue) == 0 {
		p.queue = nil
	}
	return batch
}

// toCommit is the offset to commit for the partition, if it moved since
// the last commit.
func (p *partition) toCommit() (kgo.EpochOffset, bool) {
	off, epoch, ok := p.track.position()
	if !ok || off == p.committed {
		return kgo.EpochOffset{}, false
	}
	return kgo.EpochOffset{Epoch: epoch, Offset: off}, true
}
