//go:build e2e

package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
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
)

// Throughput lanes.
const (
	laneDispatcher = "kafka"
	laneHTTP       = "http"
)

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
	// Seconds is first to last reply timestamp (kafka), or first send to
	// last answer (http).
	Seconds float64 `json:"seconds"`
	// PerSecond is the throughput.
	PerSecond float64 `json:"perSecond"`
	// CPUSeconds is the CPU time of each of cpuRoles over the lane (kafka:
	// from the first reply read on), and HostBusy the host's busy share of
	// its cores then.
	CPUSeconds map[string]float64 `json:"cpuSeconds"`
	HostBusy   float64            `json:"hostBusy"`
}

// throughputLanes creates the warm Function and measures rounds rounds of
// both lanes, for each maxInFlight, alternating.
func (b *bench) throughputLanes(ctx context.Context, rounds, n int, inflights []int) ([]tput, error) {
	err := b.cereply(ctx, warmFn, func(fn *servingv1alpha1.Function) {
		s := fn.Spec.Template.Spec.Scaling
		s.MinScale, s.MaxScale = ptr.To[int32](1), ptr.To[int32](1)
		fn.Spec.Template.Spec.ContainerConcurrency = 0 // unlimited
	})
	if err != nil {
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
			k, err := b.dispatcherLane(ctx, round, m, n)
			if err != nil {
				return nil, fmt.Errorf("kafka round %d, maxInFlight %d: %w", round, m, err)
			}
			h := b.httpLane(ctx, m, n)
			h.Round = round
			for _, r := range []tput{k, h} {
				fmt.Fprintf(os.Stderr, "%-5s round %d maxInFlight %3d: %6d in %6.2f s = %7.0f/s (duplicates %d, errors %d)\n",
					r.Lane, r.Round, r.MaxInFlight, r.Done, r.Seconds, r.PerSecond, r.Duplicates, r.Errors)
			}
			out = append(out, k, h)
		}
	}
	return out, nil
}

// dispatcherLane produces n messages to a new topic, then creates a
// trigger delivering them to the warm Function, unordered with up to
// maxInFlight in flight, and measures from the first reply's timestamp to
// the last. The trigger is deleted afterwards.
func (b *bench) dispatcherLane(ctx context.Context, round, maxInFlight, n int) (tput, error) {
	name := fmt.Sprintf("tput-%d-%d", maxInFlight, round)
	topic, replyTopic := b.ns+"."+name, b.ns+"."+name+"-replies"
	if err := b.broker.createTopic(ctx, topic, partitions); err != nil {
		return tput{}, err
	}
	if err := b.broker.createTopic(ctx, replyTopic, 1); err != nil {
		return tput{}, err
	}
	recs := make([]*kgo.Record, n)
	for i := range recs {
		recs[i] = &kgo.Record{Topic: topic, Partition: int32(i % partitions), Value: []byte("m-" + strconv.Itoa(i))}
	}
	if err := b.broker.producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return tput{}, fmt.Errorf("produce: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, tputTimeout)
	defer cancel()
	replies, err := b.broker.readReplies(ctx, replyTopic)
	if err != nil {
		return tput{}, err
	}
	kt, err := b.trigger(ctx, name, warmFn, topic, replyTopic, func(kt *servingv1alpha1.KafkaTrigger) {
		kt.Spec.Delivery.Ordering = servingv1alpha1.KafkaOrderingUnordered
		kt.Spec.Delivery.MaxInFlight = ptr.To(int32(maxInFlight))
	})
	if err != nil {
		return tput{}, err
	}
	defer func() {
		if err := b.c.Delete(context.WithoutCancel(ctx), kt); err != nil {
			fmt.Fprintf(os.Stderr, "delete kafkatrigger %s: %v\n", name, err)
		}
	}()
	r := tput{Lane: laneDispatcher, Round: round, MaxInFlight: maxInFlight}
	seen := make(map[string]bool, n)
	var first, last time.Time
	var cpu *cpuMeter
	for len(seen) < n {
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("%w: %d of %d replies within %s", errNoReplies, len(seen), n, tputTimeout)
		case rep, ok := <-replies:
			if !ok {
				return r, fmt.Errorf("%w: reply reader stopped after %d of %d", errNoReplies, len(seen), n)
			}
			if seen[rep.id] {
				r.Duplicates++
				continue
			}
			if cpu == nil {
				cpu = startCPU()
			}
			seen[rep.id] = true
			if first.IsZero() || rep.produced.Before(first) {
				first = rep.produced
			}
			if rep.produced.After(last) {
				last = rep.produced
			}
		}
	}
	r.CPUSeconds, r.HostBusy = cpu.stop()
	r.Done, r.Seconds = n, last.Sub(first).Seconds()
	r.PerSecond = float64(n-1) / r.Seconds
	return r, nil
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
	}
	for key, v := range series {
		rep.Summary[key] = summary.Of(v)
	}
	rounds := len(series[fmt.Sprintf("%s/%d", laneHTTP, inflights[0])])
	fmt.Printf("\nthroughput, one dispatcher, one warm cereply pod, %d messages per lane, %d rounds (per second)\n", rep.Messages, rounds)
	fmt.Printf("%-60s %8s %8s %8s %8s\n", "lane", "in flight", "median", "min", "max")
	for _, m := range inflights {
		k, h := rep.Summary[fmt.Sprintf("%s/%d", laneDispatcher, m)], rep.Summary[fmt.Sprintf("%s/%d", laneHTTP, m)]
		fmt.Printf("%-60s %8d %8.0f %8.0f %8.0f\n", "kafka: dispatcher, unordered, 3 partitions, replies (msg/s)", m, k.Median, k.Min, k.Max)
		fmt.Printf("%-60s %8d %8.0f %8.0f %8.0f\n", "http: closed loop through the activator (req/s)", m, h.Median, h.Min, h.Max)
		ratio := k.Median / h.Median
		rep.Ratio[strconv.Itoa(m)] = ratio
		fmt.Printf("%-60s %8d %8.2f\n", "ratio dispatcher/http", m, ratio)
	}

	fmt.Printf("\nCPU ms per 1,000 messages or requests, and host busy %% of %d cores (medians of rounds)\n", runtime.NumCPU())
	fmt.Printf("%-10s %9s", "lane", "in flight")
	for _, role := range cpuRoles {
		fmt.Printf(" %10s", role)
	}
	fmt.Printf(" %10s\n", "host busy")
	for _, m := range inflights {
		for _, lane := range []string{laneDispatcher, laneHTTP} {
			perK := map[string][]float64{}
			for _, r := range rep.Throughput {
				if r.Lane != lane || r.MaxInFlight != m {
					continue
				}
				for _, role := range cpuRoles {
					perK[role] = append(perK[role], r.CPUSeconds[role]*1e6/float64(r.Done))
				}
				perK["host"] = append(perK["host"], r.HostBusy*100)
			}
			fmt.Printf("%-10s %9d", lane, m)
			for _, role := range cpuRoles {
				fmt.Printf(" %10.0f", summary.Median(perK[role]))
			}
			fmt.Printf(" %9.0f%%\n", summary.Median(perK["host"]))
		}
	}
}
