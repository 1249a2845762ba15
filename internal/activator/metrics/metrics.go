// Package metrics holds the activator's Prometheus metrics. Every
// per-revision series has the labels namespace and revision (empty for
// requests that matched no revision), so cardinality grows with the
// revisions routed, and DeleteRevision removes a revision's series when it
// goes away; the per-rule series grow with the Routes' rules (at most 32 a
// Route), and DeleteRoute removes a Route's.
//
//	wake_activator_requests_total{namespace,revision,code}    counter
//	wake_activator_request_duration_seconds{namespace,revision} histogram (arrival to last byte)
//	wake_activator_queue_wait_seconds{namespace,revision}     histogram (time waiting for a pod slot)
//	wake_activator_cold_starts_total{namespace,revision}      counter (requests held for a cold start)
//	wake_activator_cold_start_wait_seconds{namespace,revision} histogram (their wait)
//	wake_activator_queue_depth{namespace,revision}            gauge (requests waiting, read at scrape)
//	wake_activator_requests_in_flight{namespace,revision}     gauge (requests at pods, read at scrape)
//	wake_activator_stats_frames_dropped_total                 counter (stats frames lost)
//	wake_activator_refused_total{reason}                      counter (refused by a limit, see limits.go)
//	wake_activator_clients_gone_total                         counter (queued requests whose client left)
//	wake_activator_tenant_requests_in_flight{namespace}       gauge (counted against the tenant limit, read at scrape)
//	wake_activator_route_requests_total{namespace,route,rule,class} counter (requests a Route's rule matched, by status class; see routes.go)
//
// code is the HTTP status sent, or 499 when the client left first.
package metrics

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/types"
)

const prefix = "wake_activator_"

// Label names of the per-revision series.
const (
	labelNamespace = "namespace"
	labelRevision  = "revision"
)

var revLabels = []string{labelNamespace, labelRevision}

// DepthFunc calls f for every revision with its queued and in-flight
// requests; the throttler's RangeStats fits behind it.
type DepthFunc func(f func(key types.NamespacedName, queued, inflight int))

// Metrics is the activator's set of metrics.
type Metrics struct {
	requests   *prometheus.CounterVec
	latency    *prometheus.HistogramVec
	queueWait  *prometheus.HistogramVec
	coldStarts *prometheus.CounterVec
	coldWait   *prometheus.HistogramVec
	limits     *limits
	routes     *routes

	mu   sync.RWMutex
	revs map[types.NamespacedName]*Revision
	none *Revision
}

// Options are the optional sources read at scrape time.
type Options struct {
	// Depth reports queue depth and in-flight requests per revision.
	Depth DepthFunc
	// StatsDropped returns the number of stats frames dropped so far.
	StatsDropped func() uint64
	// LogLinesDropped returns the number of request log lines dropped so
	// far.
	LogLinesDropped func() uint64
	// MeteringDropped returns the number of requests not metered because
	// the meter held all it may (meter.Meter.Overflow); nil exports no
	// such counter.
	MeteringDropped func() uint64
	// ClientsGone returns the number of queued requests whose client left
	// so far (clientgone.Watcher.Gone); nil reads 0.
	ClientsGone func() uint64
	// TenantInFlight reports the requests in flight counted against each
	// namespace's tenant limit; nil exports no such series.
	TenantInFlight TenantInFlightFunc
}

// New registers the metrics on reg.
func New(reg prometheus.Registerer, opts Options) (*Metrics, error) {
	buckets := []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300}
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "requests_total", Help: "Requests by revision and status code (499: client left).",
		}, []string{labelNamespace, labelRevision, "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: prefix + "request_duration_seconds", Help: "Time from arrival to the last byte of the response.", Buckets: buckets,
		}, revLabels),
		queueWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: prefix + "queue_wait_seconds", Help: "Time requests waited for a pod slot.", Buckets: buckets,
		}, revLabels),
		coldStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: prefix + "cold_starts_total", Help: "Requests held while their revision had no pod.",
		}, revLabels),
		coldWait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: prefix + "cold_start_wait_seconds", Help: "Wait of requests held for a cold start.",
			Buckets: []float64{.05, .1, .25, .5, 1, 2, 4, 8, 16, 32, 64, 128, 300},
		}, revLabels),
		revs:   make(map[types.NamespacedName]*Revision),
		limits: newLimits(opts.ClientsGone),
		routes: newRoutes(),
	}
	cs := []prometheus.Collector{m.requests, m.latency, m.queueWait, m.coldStarts, m.coldWait, m.routes.requests, m.routes.limited, m.routes.clients}
	cs = append(cs, m.limits.collectors()...)
	if opts.Depth != nil {
		cs = append(cs, depthCollector(opts.Depth))
	}
	if opts.TenantInFlight != nil {
		cs = append(cs, newTenantInFlight(opts.TenantInFlight))
	}
	if opts.StatsDropped != nil {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: prefix + "stats_frames_dropped_total", Help: "Stats frames dropped (buffer full or write failed).",
		}, func() float64 { return float64(opts.StatsDropped()) }))
	}
	if opts.LogLinesDropped != nil {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: prefix + "route_log_lines_dropped_total", Help: "Request log lines dropped before they were sent: the buffer was full, or a line too long.",
		}, func() float64 { return float64(opts.LogLinesDropped()) }))
	}
	if opts.MeteringDropped != nil {
		cs = append(cs, prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name: prefix + "metering_dropped_total", Help: "Requests not metered because the meter held as many entries as it may.",
		}, func() float64 { return float64(opts.MeteringDropped()) }))
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register activator metrics: %w", err)
		}
	}
	m.none = m.newRevision(types.NamespacedName{})
	return m, nil
}

// Revision holds one revision's bound metrics; get it from For.
type Revision struct {
	m          *Metrics
	key        types.NamespacedName
	latency    prometheus.Observer
	queueWait  prometheus.Observer
	coldStarts prometheus.Counter
	coldWait   prometheus.Observer
	codes      atomic.Pointer[map[int]prometheus.Counter]
	codesMu    sync.Mutex
}

// For returns key's metrics, creating its series on first use.
func (m *Metrics) For(key types.NamespacedName) *Revision {
	m.mu.RLock()
	r := m.revs[key]
	m.mu.RUnlock()
	if r != nil {
		return r
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if r = m.revs[key]; r == nil {
		r = m.newRevision(key)
		m.revs[key] = r
	}
	return r
}

// Unrouted returns the metrics of requests that matched no revision.
func (m *Metrics) Unrouted() *Revision { return m.none }

func (m *Metrics) newRevision(key types.NamespacedName) *Revision {
	r := &Revision{
		m:          m,
		key:        key,
		latency:    m.latency.WithLabelValues(key.Namespace, key.Name),
		queueWait:  m.queueWait.WithLabelValues(key.Namespace, key.Name),
		coldStarts: m.coldStarts.WithLabelValues(key.Namespace, key.Name),
		coldWait:   m.coldWait.WithLabelValues(key.Namespace, key.Name),
	}
	r.codes.Store(&map[int]prometheus.Counter{})
	return r
}

// DeleteRevision removes every series of key.
func (m *Metrics) DeleteRevision(key types.NamespacedName) {
	m.mu.Lock()
	delete(m.revs, key)
	m.mu.Unlock()
	l := prometheus.Labels{labelNamespace: key.Namespace, labelRevision: key.Name}
	m.requests.DeletePartialMatch(l)
	m.latency.Delete(l)
	m.queueWait.Delete(l)
	m.coldStarts.Delete(l)
	m.coldWait.Delete(l)
}

// Done records a finished request.
func (r *Revision) Done(code int, d time.Duration) {
	r.counter(code).Inc()
	r.latency.Observe(d.Seconds())
}

// Waited records a request's queue wait, and its cold start if it had one.
func (r *Revision) Waited(wait time.Duration, cold bool) {
	r.queueWait.Observe(wait.Seconds())
	if cold {
		r.coldStarts.Inc()
		r.coldWait.Observe(wait.Seconds())
	}
}

func (r *Revision) counter(code int) prometheus.Counter {
	if c := (*r.codes.Load())[code]; c != nil {
		return c
	}
	r.codesMu.Lock()
	defer r.codesMu.Unlock()
	old := *r.codes.Load()
	if c := old[code]; c != nil {
		return c
	}
	c := r.m.requests.WithLabelValues(r.key.Namespace, r.key.Name, strconv.Itoa(code))
	next := make(map[int]prometheus.Counter, len(old)+1)
	for k, v := range old {
		next[k] = v
	}
	next[code] = c
	r.codes.Store(&next)
	return c
}

// depth is a collector reading queue depth and in-flight at scrape time.
type depth struct {
	f        DepthFunc
	queued   *prometheus.Desc
	inflight *prometheus.Desc
}

func depthCollector(f DepthFunc) prometheus.Collector {
	return &depth{
		f:        f,
		queued:   prometheus.NewDesc(prefix+"queue_depth", "Requests waiting for a pod slot.", revLabels, nil),
		inflight: prometheus.NewDesc(prefix+"requests_in_flight", "Requests sent to pods and not finished.", revLabels, nil),
	}
}

func (d *depth) Describe(ch chan<- *prometheus.Desc) { ch <- d.queued; ch <- d.inflight }

func (d *depth) Collect(ch chan<- prometheus.Metric) {
	d.f(func(key types.NamespacedName, queued, inflight int) {
		ch <- prometheus.MustNewConstMetric(d.queued, prometheus.GaugeValue, float64(queued), key.Namespace, key.Name)
		ch <- prometheus.MustNewConstMetric(d.inflight, prometheus.GaugeValue, float64(inflight), key.Namespace, key.Name)
	})
}
