//go:build e2e

package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/test/bench/internal/promtext"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

const (
	warmFn = "warm"
	// partitions is the throughput topics' partition count.
	partitions = 3
	// tputTimeout bounds one throughput lane.
	tputTimeout = 5 * time.Minute
	// requestTimeout bounds one HTTP request of the reference lane.
	requestTimeout = 30 * time.Second
	// metricsInterval is how often the no-reply lane reads the
	// dispatcher's delivered counter.
	metricsInterval = 50 * time.Millisecond
)

// errNoReplies is returned when a lane sees fewer messages delivered than
// it produced.
var errNoReplies = errors.New("not every message was delivered")

// Throughput lanes, in the order they run in each round.
const (
	laneDispatcher = "kafka"
	laneNoReply    = "noreply"
	laneHTTP       = "http"
)

// tputLanes are the throughput lanes, with their rows' descriptions.
var tputLanes = []struct{ name, desc string }{
	{laneDispatcher, "kafka: dispatcher, unordered, with replies (msg/s)"},
	{laneNoReply, "kafka: dispatcher, unordered, no reply topic (msg/s)"},
	{laneHTTP, "http: closed loop through the activator (req/s)"},
}

// tput is one throughput lane's measurement.
type tput struct {
	Lane  string `json:"lane"`
	Round int    `json:"round"`
	// MaxInFlight is the trigger's maxInFlight, and the HTTP lane's
	// connections.
	MaxInFlight int `json:"maxInFlight"`
	// Done is the messages delivered (distinct replies), or the requests
	// answered 200 with the right body.
	Done int `json:"done"`
	// Duplicates (kafka) counts replies seen twice; Errors (http) the
	// requests that failed.
	Duplicates int `json:"duplicates,omitempty"`
	Errors     int `json:"errors,omitempty"`
	// Seconds is first to last reply timestamp (kafka), first reading of
	// the delivered counter above zero to the first at n (noreply), or
	// first send to last answer (http).
	Seconds float64 `json:"seconds"`
	// PerSecond is the throughput.
	PerSecond float64 `json:"perSecond"`
	// MidPerSecond is the throughput over the middle 80% of the messages
	// (from the time the 10th percentile was done to the 90th): the steady
	// rate, without the ramp-up and the tail.
	MidPerSecond float64 `json:"midPerSecond"`
	// MaxGapMs is the longest time in which no message was done: a
	// stall (noreply: to the counter's 50 ms readings).
	MaxGapMs float64 `json:"maxGapMs"`
	// CPUSeconds is the CPU time of each of cpuRoles over Seconds (kafka:
	// from the first reply read on), and HostBusy the host's busy share of
	// its cores then.
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
	HostBusy   float64            `json:"hostBusy"`
}

// throughputLanes creates the warm Function and measures rounds rounds of
// the lanes, for each maxInFlight, alternating.
func (b *bench) throughputLanes(ctx context.Context, rounds, n int, inflights []int) ([]tput, error) {
	err := b.cereply(ctx, warmFn, func(fn *servingv1alpha1.Function) {
		s := fn.Spec.Template.Spec.Scaling
		s.MinScale, s.MaxScale = ptr.To[int32](1), ptr.To[int32](1)
		fn.Spec.Template.Spec.ContainerConcurrency = 0 // unlimited
	})
	if err != nil {
		return nil, err
	}
	if err := b.findDispatcher(ctx); err != nil {
		return nil, err
	}
	fmt.Fprintf(os.Stderr, "namespace %s: function %s ready (one pod)\n", b.ns, warmFn)
	wctx, cancel := context.WithTimeout(ctx, waitTimeout)
	_, err = poll.Until(wctx, pollInterval, func(ctx context.Context) error {
		if r := b.httpLane(ctx, 1, 1); r.Done != 1 {
			return fmt.Errorf("POST to %s failed", warmFn)
		}
		return nil
	})
	cancel()
	if err != nil {
		return nil, err
	}
	var out []tput
	for round := 1; round <= rounds; round++ {
		for _, m := range inflights {
			for _, lane := range tputLanes {
				var r tput
				if lane.name == laneHTTP {
					r = b.httpLane(ctx, m, n)
					r.Round = round
				} else if r, err = b.dispatcherLane(ctx, round, m, n, lane.name == laneDispatcher); err != nil {
					return nil, fmt.Errorf("%s round %d, maxInFlight %d: %w", lane.name, round, m, err)
				}
				fmt.Fprintf(os.Stderr, "%-7s round %d maxInFlight %3d: %6d in %6.2f s = %7.0f/s (duplicates %d, errors %d)\n",
					r.Lane, r.Round, r.MaxInFlight, r.Done, r.Seconds, r.PerSecond, r.Duplicates, r.Errors)
				out = append(out, r)
			}
		}
	}
	return out, nil
}

// dispatcherLane produces n messages to a new topic, then creates a
// trigger delivering them to the warm Function, unordered with up to
// maxInFlight in flight, and measures the rate they are delivered at: with
// replies, from the first reply's timestamp to the last; without, from the
// dispatcher's delivered counter. The trigger is deleted afterwards.
func (b *bench) dispatcherLane(ctx context.Context, round, maxInFlight, n int, withReplies bool) (tput, error) {
	r := tput{Lane: laneDispatcher, Round: round, MaxInFlight: maxInFlight}
	if !withReplies {
		r.Lane = laneNoReply
	}
	name := fmt.Sprintf("%s-%d-%d", r.Lane, maxInFlight, round)
	topic, replyTopic := b.ns+"."+name, ""
	if err := b.broker.createTopic(ctx, topic, partitions); err != nil {
		return r, err
	}
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i % partitions), Value: []byte("m-" + strconv.Itoa(i))}
	}
	if err := b.broker.producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return r, fmt.Errorf("produce: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, tputTimeout)
	defer cancel()
	var replies <-chan reply
	if withReplies {
		replyTopic = topic + "-replies"
		if err := b.broker.createTopic(ctx, replyTopic, 1); err != nil {
			return r, err
		}
		var err error
		if replies, err = b.broker.readReplies(ctx, replyTopic); err != nil {
			return r, err
		}
	}
	kt, err := b.trigger(ctx, name, warmFn, topic, replyTopic, func(kt *servingv1alpha1.KafkaTrigger) {
		kt.Spec.Delivery.Ordering = servingv1alpha1.KafkaOrderingUnordered
		kt.Spec.Delivery.MaxInFlight = ptr.To(int32(maxInFlight))
	})
	if err != nil {
		return r, err
	}
	defer func() {
		if err := b.c.Delete(context.WithoutCancel(ctx), kt); err != nil {
			fmt.Fprintf(os.Stderr, "delete kafkatrigger %s: %v\n", name, err)
		}
	}()
	if withReplies {
		return r, countReplies(ctx, replies, n, &r)
	}
	return r, b.countDelivered(ctx, name, n, &r)
}

// countReplies reads replies until n distinct ones came, and fills in r:
// the rate from the first reply's timestamp to the last, and the CPU used
// from the first reply read on.
func countReplies(ctx context.Context, replies <-chan reply, n int, r *tput) error {
	seen := make(map[string]bool, n)
	times := make([]time.Time, 0, n)
	var cpu *cpuMeter
	for len(seen) < n {
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: %d of %d replies within %s", errNoReplies, len(seen), n, tputTimeout)
		case rep, ok := <-replies:
			if !ok {
				return fmt.Errorf("%w: reply reader stopped after %d of %d", errNoReplies, len(seen), n)
			}
			if seen[rep.id] {
				r.Duplicates++
				continue
			}
			if cpu == nil {
				cpu = startCPU()
			}
			seen[rep.id] = true
			times = append(times, rep.produced)
		}
	}
	r.CPUSeconds, r.HostBusy = cpu.stop()
	slices.SortFunc(times, time.Time.Compare)
	r.Done, r.Seconds = n, times[n-1].Sub(times[0]).Seconds()
	if r.Seconds > 0 {
		r.PerSecond = float64(n-1) / r.Seconds
	}
	r.spread(times)
	return nil
}

// spread fills in MidPerSecond and MaxGapMs from the sorted times at which
// the messages were done. With too few of them for a span, MidPerSecond
// stays 0.
func (r *tput) spread(sorted []time.Time) {
	if len(sorted) < 2 {
		return
	}
	at := func(q float64) time.Time {
		return sorted[max(0, min(len(sorted)-1, int(math.Ceil(q*float64(len(sorted))))-1))]
	}
	if span := at(0.9).Sub(at(0.1)).Seconds(); span > 0 {
		r.MidPerSecond = 0.8 * float64(len(sorted)) / span
	}
	for i := 1; i < len(sorted); i++ {
		r.MaxGapMs = max(r.MaxGapMs, ms(sorted[i].Sub(sorted[i-1])))
	}
}

// countDelivered reads the dispatcher's count of the messages trigger
// delivered every metricsInterval until it reaches n, and fills in r: the
// rate from the first reading above zero to the first at n, and the CPU
// used over the same readings.
func (b *bench) countDelivered(ctx context.Context, trigger string, n int, r *tput) error {
	type reading struct {
		at time.Time
		n  float64
	}
	var readings []reading // from the first above zero
	var cpu *cpuMeter
	_, err := poll.Until(ctx, metricsInterval, func(ctx context.Context) error {
		d, err := b.delivered(ctx, trigger)
		now := time.Now()
		if err != nil {
			return poll.Stop(err)
		}
		if d > 0 && cpu == nil {
			cpu = startCPU()
		}
		if d > 0 {
			readings = append(readings, reading{now, d})
		}
		if d < float64(n) {
			return fmt.Errorf("%.0f of %d delivered", d, n)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%w: %w", errNoReplies, err)
	}
	r.CPUSeconds, r.HostBusy = cpu.stop()
	first, last := readings[0], readings[len(readings)-1]
	r.Done, r.Seconds = int(last.n), last.at.Sub(first.at).Seconds()
	if r.Seconds > 0 {
		r.PerSecond = (last.n - first.n) / r.Seconds
	}
	// Each message counts as done at the first reading that includes it.
	var done []time.Time
	for i, rd := range readings {
		prev := first.n
		if i > 0 {
			prev = readings[i-1].n
		}
		for range int(rd.n - prev) {
			done = append(done, rd.at)
		}
	}
	r.spread(done)
	return nil
}

// delivered reads wake_dispatcher_messages_delivered_total of trigger from
// the dispatcher's metrics page.
func (b *bench) delivered(ctx context.Context, trigger string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, b.dispatcherMetrics, nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("dispatcher metrics: %w", err)
	}
	defer func() { _ = resp.Body.Close() }()
	const name = "wake_dispatcher_messages_delivered_total"
	samples, err := promtext.Parse(resp.Body, promtext.Names(name))
	if err != nil {
		return 0, fmt.Errorf("dispatcher metrics: %w", err)
	}
	d, _ := promtext.Sum(samples, name, map[string]string{"namespace": b.ns, "trigger": trigger})
	return d, nil
}

// findDispatcher sets the URL of the metrics page of the one dispatcher
// replica.
func (b *bench) findDispatcher(ctx context.Context) error {
	pods := &corev1.PodList{}
	if err := b.c.List(ctx, pods, client.InNamespace(systemNamespace), client.MatchingLabels{"app.kubernetes.io/name": "wake-dispatcher"}); err != nil {
		return fmt.Errorf("list dispatcher pods: %w", err)
	}
	var ips []string
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil && p.Status.PodIP != "" {
			ips = append(ips, p.Status.PodIP)
		}
	}
	if len(ips) != 1 {
		return fmt.Errorf("want one dispatcher replica, found %d with an IP", len(ips))
	}
	b.dispatcherMetrics = "http://" + net.JoinHostPort(ips[0], "9090") + "/metrics"
	return nil
}

// httpLane sends n POSTs through the activator to the warm Function from
// conns clients back to back on kept-alive connections, each a CloudEvent
// like the dispatcher's, and measures from the first send to the last
// answer. It stops early after tputTimeout.
func (b *bench) httpLane(ctx context.Context, conns, n int) tput {
	tr := &http.Transport{
		MaxIdleConns:        conns,
		MaxIdleConnsPerHost: conns,
		DisableCompression:  true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, b.activator.Addr)
		},
	}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: requestTimeout}
	url := "http://" + b.activator.Host(b.ns, warmFn) + "/"
	ctx, cancel := context.WithTimeout(ctx, tputTimeout)
	defer cancel()
	var next, done, failed atomic.Int64
	finished := make([]time.Time, n) // of request i+1, when it succeeded
	var wg sync.WaitGroup
	cpu := startCPU()
	start := time.Now()
	for range conns {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				if post(ctx, c, url, "http-"+strconv.FormatInt(i, 10)) {
					finished[i-1] = time.Now()
					done.Add(1)
				} else {
					failed.Add(1)
				}
			}
		})
	}
	wg.Wait()
	el := time.Since(start).Seconds()
	r := tput{Lane: laneHTTP, MaxInFlight: conns, Done: int(done.Load()), Errors: int(failed.Load()),
		Seconds: el, PerSecond: float64(done.Load()) / el}
	r.CPUSeconds, r.HostBusy = cpu.stop()
	finished = slices.DeleteFunc(finished, time.Time.IsZero)
	if len(finished) > 0 {
		slices.SortFunc(finished, time.Time.Compare)
		r.spread(finished)
	}
	return r
}

// post sends one CloudEvent with id to url and reports whether cereply
// answered 200 with the id.
func post(ctx context.Context, c *http.Client, url, id string) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader("m-"+id))
	if err != nil {
		return false
	}
	for k, v := range map[string]string{
		"Content-Type": "application/octet-stream", "ce-specversion": "1.0", "ce-id": id,
		"ce-source": "wake-bench", "ce-type": "dev.wake.kafka.message",
	} {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<10))
	return err == nil && resp.StatusCode == http.StatusOK && string(body) == id
}

// printThroughput prints the throughput table and fills in its statistics
// and ratios.
func printThroughput(rep *report, inflights []int) {
	if len(rep.Throughput) == 0 {
		return
	}
	series := map[string][]float64{}
	for _, r := range rep.Throughput {
		key := fmt.Sprintf("%s/%d", r.Lane, r.MaxInFlight)
		series[key] = append(series[key], r.PerSecond)
		series[key+"/mid"] = append(series[key+"/mid"], r.MidPerSecond)
		series[key+"/gap"] = append(series[key+"/gap"], r.MaxGapMs)
	}
	for key, v := range series {
		rep.Summary[key] = summary.Of(v)
	}
	rounds := len(series[fmt.Sprintf("%s/%d", laneHTTP, inflights[0])])
	fmt.Printf("\nthroughput, one dispatcher, one warm cereply pod, %d messages per lane, %d rounds (per second, medians;\n", rep.Messages, rounds)
	fmt.Printf("mid 80%%: from the 10th percentile done to the 90th; stall: the longest time with no message done)\n")
	fmt.Printf("%-56s %9s %8s %8s %8s %8s %9s\n", "lane", "in flight", "median", "min", "max", "mid 80%", "stall ms")
	for _, m := range inflights {
		for _, lane := range tputLanes {
			key := fmt.Sprintf("%s/%d", lane.name, m)
			st := rep.Summary[key]
			fmt.Printf("%-56s %9d %8.0f %8.0f %8.0f %8.0f %9.0f\n", lane.desc, m, st.Median, st.Min, st.Max,
				rep.Summary[key+"/mid"].Median, rep.Summary[key+"/gap"].Median)
		}
		h := rep.Summary[fmt.Sprintf("%s/%d", laneHTTP, m)].Median
		for _, lane := range []string{laneDispatcher, laneNoReply} {
			ratio := rep.Summary[fmt.Sprintf("%s/%d", lane, m)].Median / h
			rep.Ratio[fmt.Sprintf("%s/%d", lane, m)] = ratio
			mid := rep.Summary[fmt.Sprintf("%s/%d/mid", lane, m)].Median / rep.Summary[fmt.Sprintf("%s/%d/mid", laneHTTP, m)].Median
			rep.Ratio[fmt.Sprintf("%s/%d/mid", lane, m)] = mid
			fmt.Printf("%-56s %9d %8.2f %26.2f\n", "ratio "+lane+"/http", m, ratio, mid)
		}
	}

	fmt.Printf("\nCPU ms per 1,000 messages or requests, and host busy %% of %d cores (medians of rounds)\n", runtime.NumCPU())
	fmt.Printf("%-10s %9s", "lane", "in flight")
	for _, role := range cpuRoles {
		fmt.Printf(" %10s", role)
	}
	fmt.Printf(" %10s\n", "host busy")
	for _, m := range inflights {
		for _, lane := range tputLanes {
			perK := map[string][]float64{}
			for _, r := range rep.Throughput {
				if r.Lane != lane.name || r.MaxInFlight != m {
					continue
				}
				for _, role := range cpuRoles {
					perK[role] = append(perK[role], r.CPUSeconds[role]*1e6/(r.PerSecond*r.Seconds))
				}
				perK["host"] = append(perK["host"], r.HostBusy*100)
			}
			fmt.Printf("%-10s %9d", lane.name, m)
			for _, role := range cpuRoles {
				fmt.Printf(" %10.0f", summary.Median(perK[role]))
			}
			fmt.Printf(" %9.0f%%\n", summary.Median(perK["host"]))
		}
	}
}
