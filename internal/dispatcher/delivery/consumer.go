package delivery

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/wakefn/wake/internal/poll"
)

// Fetch bounds: what franz-go buffers before the consumer takes it.
const (
	fetchMaxBytes          = 8 << 20
	fetchMaxPartitionBytes = 1 << 20
	maxConcurrentFetches   = 2
	// fetchMaxWait bounds how long the broker holds a fetch that has no
	// new data. A partition resumed after back-pressure waits for the
	// fetch in flight, so this is also the stall after a full buffer: at
	// 2 s, make bench-kafka saw one 2 s stall per backlog; shorter costs an
	// empty fetch that often per idle trigger.
	fetchMaxWait = 500 * time.Millisecond
	// finalCommitTimeout bounds the commit when Run ends.
	finalCommitTimeout = 10 * time.Second
	// pollErrorPause is the pause after a poll that returned only errors,
	// so that a persistent error does not spin the loop.
	pollErrorPause = 100 * time.Millisecond
)

// Consumer consumes one trigger's topics and delivers every message to
// its URL. Create it with New, run it with Run, watch it with Status.
type Consumer struct {
	cfg     Config
	log     logr.Logger
	running atomic.Bool
	// closing is set once Run committed for the last time: the revocation
	// that closing the client causes does not commit again.
	closing atomic.Bool
	// backlog carries OnBacklog signals, merged.
	backlog chan struct{}
	// bufCap is the records buffered per partition before its fetching
	// is paused.
	bufCap int
	// cl is the Kafka client, set by Run before anything is delivered;
	// clReady is closed once it is set.
	cl      *kgo.Client
	clReady chan struct{}
	// wg counts the deliveries running.
	wg sync.WaitGroup

	// commitMu serializes commits with each other and with revocations,
	// so that a partition is never committed after it was revoked.
	commitMu sync.Mutex

	// pauseMu serializes applying the wanted pauses to the client;
	// pausedApplied (guarded by it) is what was applied.
	pauseMu       sync.Mutex
	pausedApplied map[TopicPartition]bool

	// mu guards everything below.
	mu sync.Mutex
	// base is the parent of every partition's context; it ends when Run
	// ends.
	base  context.Context
	parts map[TopicPartition]*partition
	// order is the assigned partitions in the order they are served,
	// rotated by rr for fairness.
	order []TopicPartition
	rr    int
	// inFlight and buffered are records being delivered and waiting.
	inFlight, buffered int
	// pauseDirty is set when some partition's paused changed.
	pauseDirty bool
	// failing is every delivery that is failing, by delivery id.
	failing  map[uint64]*failure
	nextFail uint64
	// stat holds the counters and the broker and group fields of Status.
	stat Status
	// dialErr is the last error dialing a broker.
	dialErr string
	// missing is the topics last seen missing, to notice them appear.
	missing map[string]bool
}

// New validates cfg, applies its defaults and returns a Consumer. It does
// not connect to anything.
func New(cfg Config) (*Consumer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, fmt.Errorf("delivery: invalid config: %w", err)
	}
	return &Consumer{
		cfg:           cfg,
		log:           cfg.Log.WithValues("trigger", cfg.Name),
		backlog:       make(chan struct{}, 1),
		clReady:       make(chan struct{}),
		bufCap:        cfg.MaxInFlight,
		pausedApplied: map[TopicPartition]bool{},
		base:          context.Background(),
		parts:         map[TopicPartition]*partition{},
		failing:       map[uint64]*failure{},
		missing:       map[string]bool{},
	}, nil
}

// Run consumes and delivers until ctx ends. Then it abandons the
// deliveries in flight (they are delivered again later), commits what was
// delivered, leaves the group and closes the client, and returns nil. It
// returns an error only if it cannot start. Run may be called once.
func (c *Consumer) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("delivery: Run called twice")
	}
	base, abandon := context.WithCancel(context.WithoutCancel(ctx))
	defer abandon()
	c.mu.Lock()
	c.base = base
	c.mu.Unlock()

	cl, err := kgo.NewClient(c.kgoOpts()...)
	if err != nil {
		return fmt.Errorf("delivery: creating the Kafka client: %w", err)
	}
	c.cl = cl
	close(c.clReady)
	c.log.Info("consuming", "topics", c.cfg.Topics, "group", c.cfg.Group, "url", c.cfg.URL)

	loops, stopLoops := context.WithCancel(ctx)
	defer stopLoops()
	var lw sync.WaitGroup
	lw.Go(func() { c.commitLoop(loops, cl) })
	lw.Go(func() { c.monitorLoop(loops, cl, kadm.NewClient(cl)) })
	if c.cfg.OnBacklog != nil {
		lw.Go(func() { c.backlogLoop(loops) })
	}

	c.pollLoop(ctx, cl)

	abandon()
	c.wg.Wait()
	stopLoops()
	lw.Wait()
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finalCommitTimeout)
	c.commit(fctx, cl)
	cancel()
	c.closing.Store(true)
	cl.CloseAllowingRebalance()
	c.mu.Lock()
	c.stat.Joined = false
	c.mu.Unlock()
	c.log.Info("stopped")
	return nil
}

// kgoOpts are the client's options: the consumer's, then the caller's.
func (c *Consumer) kgoOpts() []kgo.Opt {
	start := kgo.NewOffset().AtEnd()
	if c.cfg.StartAtEarliest {
		start = kgo.NewOffset().AtStart()
	}
	return slices.Concat([]kgo.Opt{
		kgo.SeedBrokers(c.cfg.Brokers...),
		kgo.ClientID("wake-dispatcher"),
		kgo.ConsumerGroup(c.cfg.Group),
		kgo.ConsumeTopics(c.cfg.Topics...),
		kgo.ConsumeStartOffset(start),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.DisableAutoCommit(),
		kgo.BlockRebalanceOnPoll(),
		kgo.OnPartitionsAssigned(c.onAssigned),
		kgo.OnPartitionsRevoked(c.onRevoked),
		kgo.OnPartitionsLost(c.onLost),
		kgo.AdjustFetchOffsetsFn(c.pinStart),
		kgo.FetchMaxBytes(fetchMaxBytes),
		kgo.FetchMaxPartitionBytes(fetchMaxPartitionBytes),
		kgo.MaxConcurrentFetches(maxConcurrentFetches),
		kgo.FetchMaxWait(fetchMaxWait),
		kgo.ProducerLinger(0),
		kgo.WithHooks(hooks{c}),
		kgo.WithLogger(kgoLogger{c.log.WithName("kgo")}),
	}, c.cfg.ClientOpts)
}

// pollLoop fetches records and hands them to deliveries until ctx ends.
// Rebalances wait while a poll's records are being handed over
// (BlockRebalanceOnPoll), so a revocation never misses records of the
// partitions it revokes.
func (c *Consumer) pollLoop(ctx context.Context, cl *kgo.Client) {
	for {
		fs := cl.PollRecords(ctx, c.cfg.MaxInFlight)
		if ctx.Err() != nil || fs.IsClientClosed() {
			cl.AllowRebalance()
			return
		}
		spin := c.accept(fs)
		c.syncPause(cl)
		cl.AllowRebalance()
		if spin && !poll.Sleep(ctx, pollErrorPause) {
			return
		}
	}
}

// accept takes a poll's records and errors, and starts deliveries. It
// returns true for a poll with errors and no records: the next poll
// should wait a little, in case the error repeats at once.
func (c *Consumer) accept(fs kgo.Fetches) (spin bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := fs.Errors()
	for _, fe := range errs {
		c.fetchError(fe)
	}
	idle := c.inFlight == 0 && c.buffered == 0
	got, added := false, 0
	fs.EachPartition(func(fp kgo.FetchTopicPartition) {
		got = got || len(fp.Records) > 0
		p := c.parts[TopicPartition{fp.Topic, fp.Partition}]
		if p == nil {
			if len(fp.Records) > 0 {
				c.log.V(1).Info("dropped records of a partition not assigned", "topic", fp.Topic, "partition", fp.Partition, "records", len(fp.Records))
			}
			return
		}
		if fp.Err == nil && fp.HighWatermark > p.end {
			p.end = fp.HighWatermark
		}
		for _, r := range fp.Records {
			if p.track.add(r.Offset, r.LeaderEpoch) {
				p.queue = append(p.queue, r)
				added++
			}
		}
		if len(p.queue) >= c.bufCap && !p.paused {
			p.paused, c.pauseDirty = true, true
		}
	})
	c.buffered += added
	if idle && added > 0 && c.cfg.OnBacklog != nil {
		select {
		case c.backlog <- struct{}{}:
		default:
		}
	}
	c.pump()
	return !got && len(errs) > 0
}

// fetchError records an error a poll returned.
func (c *Consumer) fetchError(fe kgo.FetchError) {
	var gs *kgo.ErrGroupSession
	if errors.As(fe.Err, &gs) {
		c.stat.GroupError = gs.Error()
		c.log.Info("consumer group error", "error", gs.Err.Error())
		return
	}
	c.log.Info("fetch error", "topic", fe.Topic, "partition", fe.Partition, "error", fe.Err.Error())
}

// backlogLoop calls OnBacklog for each signal until ctx ends.
func (c *Consumer) backlogLoop(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.backlog:
			c.cfg.OnBacklog()
		}
	}
}
