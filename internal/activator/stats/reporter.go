package stats

import (
	"bytes"
	"context"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/go-logr/logr"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/statwire"
)

// Options configures a Reporter.
type Options struct {
	// Source is this activator's pod name, the frames' "src".
	Source string
	// Address is the autoscalers' stat servers, host:port. The host is
	// normally a headless Service's DNS name
	// ("wake-autoscaler.wake-system.svc:8090"): it resolves to every
	// autoscaler replica, leader and standbys, and each gets the same
	// frames over its own connection. An IP works too.
	Address string
	// Resolver lists the stat servers; nil means DNSResolver(Address, nil).
	// Tests inject one.
	Resolver Resolver
	// ResolvePeriod is how often Resolver is called again; default
	// DefaultResolvePeriod (5s).
	ResolvePeriod time.Duration
	// Clock is the time source; nil means the real clock.
	Clock clock.WithTicker
	// BufferFrames bounds the frames waiting to be sent, per stat server;
	// default 64.
	BufferFrames int
	// DialTimeout bounds one connection attempt; default 2s.
	DialTimeout time.Duration
	// Dial connects to a stat server; nil means a net.Dialer's
	// DialContext. DialTimeout bounds it either way. Tests inject one.
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// WriteTimeout bounds writing one frame; default 5s.
	WriteTimeout time.Duration
	// TokenFile is the activator's projected ServiceAccount token, issued
	// for statwire.Audience and rotated by kubelet. The Reporter reads it
	// before every connection and sends it as the connection's first
	// line, and re-reads and re-sends it every TokenRefresh on every open
	// connection. "" sends no token, which stat servers refuse; tests of
	// other things leave it empty.
	TokenFile string
	// TokenRefresh is how often TokenFile is re-read and re-sent; default
	// DefaultTokenRefresh (30s).
	TokenRefresh time.Duration
	// Demand, if set, gives stats each periodic frame carries besides the
	// measured ones: the Kafka dispatcher's backlog per revision. The
	// revisions must not be among those measured (Report lists each
	// revision once per frame).
	Demand func() []statwire.Stat
	// Usage, if set, gives the usage counts each periodic frame carries
	// (usage.Counter.Snapshot); nil or a nil result sends none.
	Usage func() *statwire.Usage
	// Logs, if set, gives the request log lines each periodic frame
	// carries (reqlog.Buffer.Take).
	Logs func() []statwire.LogLine
	// Metering, if set, gives what each periodic frame carries of the
	// meter (meter.Meter.Snapshot), and FinalMetering all of it, in as
	// many frames as it needs (meter.Meter.Final), which Flush sends.
	Metering      func() *statwire.Metering
	FinalMetering func() []*statwire.Metering
	// Logger receives connection changes.
	Logger logr.Logger
}

// Reporter measures and reports per-revision stats. Create with New, start
// with Run.
type Reporter struct {
	cfg   Options
	clock clock.WithTicker
	log   logr.Logger

	mu   sync.RWMutex
	revs map[types.NamespacedName]*revision

	tmu     sync.Mutex
	targets map[string]*target // by ip:port
	senders sync.WaitGroup

	authLine atomic.Pointer[[]byte] // the last token read, as an auth line

	dropped  atomic.Uint64
	sent     atomic.Uint64
	progress chan struct{} // has a token when a queued frame was written or dropped
}

// New returns a Reporter; it measures at once and sends once Run runs.
func New(cfg Options) *Reporter {
	if cfg.Clock == nil {
		cfg.Clock = clock.RealClock{}
	}
	if cfg.BufferFrames <= 0 {
		cfg.BufferFrames = 64
	}
	if cfg.DialTimeout <= 0 {
		cfg.DialTimeout = 2 * time.Second
	}
	if cfg.WriteTimeout <= 0 {
		cfg.WriteTimeout = 5 * time.Second
	}
	if cfg.ResolvePeriod <= 0 {
		cfg.ResolvePeriod = DefaultResolvePeriod
	}
	if cfg.TokenRefresh <= 0 {
		cfg.TokenRefresh = DefaultTokenRefresh
	}
	if cfg.Resolver == nil {
		cfg.Resolver = DNSResolver(cfg.Address, nil)
	}
	if cfg.Dial == nil {
		cfg.Dial = (&net.Dialer{}).DialContext
	}
	return &Reporter{
		cfg:      cfg,
		clock:    cfg.Clock,
		log:      cfg.Logger,
		revs:     make(map[types.NamespacedName]*revision),
		targets:  make(map[string]*target),
		progress: make(chan struct{}, 1),
	}
}

// Dropped returns the number of frames dropped, counted per stat server:
// its buffer was full, a write to it failed, or no stat server was known.
func (r *Reporter) Dropped() uint64 { return r.dropped.Load() }

// Sent returns the number of frames written to connections, counted per
// stat server.
func (r *Reporter) Sent() uint64 { return r.sent.Load() }

// Poke sends a poke frame for key to every stat server at once. It has the
// signature of the throttler's Options.OnColdStart and never blocks.
func (r *Reporter) Poke(key types.NamespacedName) {
	r.enqueue(statwire.Frame{
		Source:    r.cfg.Source,
		Timestamp: r.clock.Now().UnixMilli(),
		Stats:     []statwire.Stat{{Namespace: key.Namespace, Revision: key.Name, RequestCount: 1, Poke: true}},
	})
}

// Run resolves the stat servers, reports every statwire.Period and sends the
// frames to every stat server until ctx ends. Call it once.
func (r *Reporter) Run(ctx context.Context) {
	tick := r.clock.NewTicker(statwire.Period)
	defer tick.Stop()
	resolveTick := r.clock.NewTicker(r.cfg.ResolvePeriod)
	defer resolveTick.Stop()
	resolved := make(chan struct{})
	go func() {
		defer close(resolved)
		r.resolveLoop(ctx, resolveTick.C())
	}()
	refreshed := make(chan struct{})
	go func() {
		defer close(refreshed)
		if r.cfg.TokenFile != "" {
			r.refreshToken(ctx)
		}
	}()
	for {
		select {
		case <-ctx.Done():
			<-resolved
			<-refreshed
			r.stopTargets()
			return
		case now := <-tick.C():
			r.enqueue(r.Report(now))
		}
	}
}

// Report cuts the period ending at now into a frame. The frame is a
// snapshot: it lists every revision that had traffic in the period, and
// none when there was no traffic (an empty, non-nil Stats, sent all the
// same). Run calls it every period; tests may call it.
func (r *Reporter) Report(now time.Time) statwire.Frame {
	f := statwire.Frame{Source: r.cfg.Source, Timestamp: now.UnixMilli(), Stats: []statwire.Stat{}}
	var idle []types.NamespacedName
	r.mu.RLock()
	for key, rev := range r.revs {
		rev.mu.Lock()
		avg, n := rev.cut(now, statwire.Period)
		busy := rev.inflight > 0
		rev.mu.Unlock()
		if avg == 0 && n == 0 {
			if !busy {
				idle = append(idle, key)
			}
			continue
		}
		f.Stats = append(f.Stats, statwire.Stat{Namespace: key.Namespace, Revision: key.Name, AverageConcurrency: avg, RequestCount: float64(n)})
	}
	r.mu.RUnlock()
	if len(idle) > 0 {
		r.mu.Lock()
		for _, key := range idle {
			rev := r.revs[key]
			rev.mu.Lock()
			if rev.refs == 0 && rev.arrivals == 0 {
				delete(r.revs, key)
			}
			rev.mu.Unlock()
		}
		r.mu.Unlock()
	}
	if r.cfg.Demand != nil {
		f.Stats = append(f.Stats, r.cfg.Demand()...)
	}
	if r.cfg.Usage != nil {
		f.Usage = r.cfg.Usage()
	}
	if r.cfg.Logs != nil {
		f.Logs = r.cfg.Logs()
	}
	if r.cfg.Metering != nil {
		f.Metering = r.cfg.Metering()
	}
	return f
}

// enqueue encodes f once and queues it for every stat server.
func (r *Reporter) enqueue(f statwire.Frame) {
	var b bytes.Buffer
	if err := statwire.Write(&b, f); err != nil {
		r.dropped.Add(1)
		r.log.Info("stats frame dropped", "error", err.Error(), "entries", len(f.Stats))
		return
	}
	r.broadcast(b.Bytes())
}
