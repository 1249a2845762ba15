//go:build e2e

package main

import (
	"context"
	"fmt"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

const (
	plainName = "plain"
	coldFn    = "cold"
	coldRev   = coldFn + "-00001" // names.Revision(coldFn, 1)
	// runTimeout bounds one measured cold run.
	runTimeout = 2 * time.Minute
	// marksTimeout bounds waiting for the watches' marks after a run.
	marksTimeout = 5 * time.Second
)

// Cold lanes, and the series of the kafka lane's other times.
const (
	laneDeployment = "deployment"
	laneKafka      = "kafka"
	keyClient      = "kafka-client"
	keyAck         = "kafka-ack"
	keyWarm        = "kafka-warm"
)

// phases split a cold run, in order, each from the previous mark (the first
// from the start), as seen by this client's watches; "end" is the lane's
// end (ready endpoint, or the reply's timestamp).
var phases = []struct{ name, desc string }{
	{"scaled", "  → Deployment scaled to 1 (seen by a watch)"},
	{"pod-created", "  → pod object created"},
	{"pod-ip", "  → pod has an IP (sandbox, network)"},
	{"end", "  → lane's end"},
}

// coldRun is one measured cold run.
type coldRun struct {
	Lane string `json:"lane"`
	// Index counts runs within the lane from 0.
	Index int `json:"index"`
	// StartedAt is when the measurement began.
	StartedAt time.Time `json:"startedAt"`
	// Ms is the headline in milliseconds: deployment, scale request →
	// ready endpoint; kafka, produce → delivered (reply timestamp).
	Ms float64 `json:"ms"`
	// ClientMs (kafka) is produce → reply read by this client.
	ClientMs float64 `json:"clientMs,omitempty"`
	// AckMs (kafka) is produce → acknowledged by the broker.
	AckMs float64 `json:"ackMs,omitempty"`
	// WarmMs (kafka) is produce → delivered of a second message, produced
	// as soon as the first was read back, to the Function now up.
	WarmMs float64 `json:"warmMs,omitempty"`
	// PhasesMs splits Ms into the phases above.
	PhasesMs map[string]float64 `json:"phasesMs,omitempty"`
}

// coldLanes sets up both lanes and measures runs alternating runs of each.
func (b *bench) coldLanes(ctx context.Context, runs int) ([]coldRun, error) {
	for _, o := range []client.Object{coldlane.PlainDeployment(b.ns, plainName, "plain"), coldlane.PlainService(b.ns, plainName)} {
		if err := b.c.Create(ctx, o); err != nil {
			return nil, fmt.Errorf("create %T %s: %w", o, o.GetName(), err)
		}
	}
	if err := b.cereply(ctx, coldFn, nil); err != nil {
		return nil, err
	}
	topic, replyTopic := b.ns+".cold", b.ns+".cold-replies"
	for _, t := range []string{topic, replyTopic} {
		if err := b.broker.createTopic(ctx, t, 1); err != nil {
			return nil, err
		}
	}
	kt, err := b.trigger(ctx, coldFn, coldFn, topic, replyTopic, nil)
	if err != nil {
		return nil, err
	}
	if err := b.waitJoined(ctx, kt); err != nil {
		return nil, err
	}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	replies, err := b.broker.readReplies(readCtx, replyTopic)
	if err != nil {
		return nil, err
	}
	// One delivery end to end while the Function still has its first pod.
	fmt.Fprintf(os.Stderr, "namespace %s: trigger %s joined; one message through\n", b.ns, coldFn)
	wctx, cancel := context.WithTimeout(ctx, waitTimeout)
	id, _, err := b.broker.produce(wctx, topic, "warm-up")
	if err == nil {
		_, err = waitReply(wctx, replies, id)
	}
	cancel()
	if err != nil {
		return nil, fmt.Errorf("warm-up delivery: %w", err)
	}

	var out []coldRun
	for i := range runs {
		for _, lane := range []string{laneDeployment, laneKafka} {
			if err := b.quiesce(ctx); err != nil {
				return nil, fmt.Errorf("before %s run %d: %w", lane, i, err)
			}
			var r coldRun
			if lane == laneDeployment {
				r, err = b.plainRun(ctx)
			} else {
				r, err = b.kafkaRun(ctx, topic, replies)
			}
			if err != nil {
				return nil, fmt.Errorf("%s run %d: %w", lane, i, err)
			}
			r.Lane, r.Index = lane, i
			out = append(out, r)
			extra := ""
			if lane == laneKafka {
				extra = fmt.Sprintf(" (client %.0f, ack %.0f, warm %.0f)", r.ClientMs, r.AckMs, r.WarmMs)
			}
			for _, p := range phases {
				extra += fmt.Sprintf(" %s %.0f", p.name, r.PhasesMs[p.name])
			}
			fmt.Fprintf(os.Stderr, "%-10s run %2d: %7.0f ms%s\n", lane, i, r.Ms, extra)
		}
	}
	return out, nil
}

// quiesce scales the plain Deployment to 0 and waits until it and the
// Function's revision have no replicas and no pods.
func (b *bench) quiesce(ctx context.Context) error {
	return coldlane.Quiesce(ctx, b.c, b.ns, plainName, waitTimeout, pollInterval, coldRev)
}

// plainRun scales the plain Deployment 0 → 1 and times until its
// EndpointSlice has a ready endpoint, as bench-coldstart does. The watches
// are opened before scaling.
func (b *bench) plainRun(ctx context.Context) (coldRun, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	marks, err := b.watchMarks(ctx, plainName, client.MatchingLabels{coldlane.AppLabel: plainName})
	if err != nil {
		return coldRun{}, err
	}
	start, end, err := coldlane.ScaleToEndpoint(ctx, b.c, b.ns, plainName)
	if err != nil {
		return coldRun{}, err
	}
	return coldRun{StartedAt: start.UTC(), Ms: ms(end.Sub(start)), PhasesMs: split(start, marks, end)}, nil
}

// kafkaRun produces one message for the Function at zero and times until
// it is delivered; then it times a second message to the Function now up.
func (b *bench) kafkaRun(ctx context.Context, topic string, replies <-chan reply) (coldRun, error) {
	ctx, cancel := context.WithTimeout(ctx, runTimeout)
	defer cancel()
	marks, err := b.watchMarks(ctx, coldRev, client.MatchingLabels{servingv1alpha1.RevisionLabelKey: coldRev})
	if err != nil {
		return coldRun{}, err
	}
	start := time.Now()
	id, acked, err := b.broker.produce(ctx, topic, "cold")
	if err != nil {
		return coldRun{}, err
	}
	rep, err := waitReply(ctx, replies, id)
	if err != nil {
		return coldRun{}, err
	}
	r := coldRun{
		StartedAt: start.UTC(),
		Ms:        ms(rep.produced.Sub(start)),
		ClientMs:  ms(rep.read.Sub(start)),
		AckMs:     ms(acked.Sub(start)),
		PhasesMs:  split(start, marks, rep.produced),
	}
	warm := time.Now()
	if id, _, err = b.broker.produce(ctx, topic, "warm"); err != nil {
		return coldRun{}, err
	}
	if rep, err = waitReply(ctx, replies, id); err != nil {
		return coldRun{}, err
	}
	r.WarmMs = ms(rep.produced.Sub(warm))
	return r, nil
}

// marks hold when this client saw a Deployment scaled above zero, its
// first pod created, and a pod with an IP.
type marks struct{ scaled, created, addressed time.Time }

// watchMarks watches Deployment name and the pods with podLabels until all
// marks are seen or ctx ends, and then sends them.
func (b *bench) watchMarks(ctx context.Context, name string, podLabels client.MatchingLabels) (<-chan marks, error) {
	dw, err := b.c.Watch(ctx, &appsv1.DeploymentList{}, client.InNamespace(b.ns), client.MatchingFields{"metadata.name": name})
	if err != nil {
		return nil, fmt.Errorf("watch deployment: %w", err)
	}
	pw, err := b.c.Watch(ctx, &corev1.PodList{}, client.InNamespace(b.ns), podLabels)
	if err != nil {
		dw.Stop()
		return nil, fmt.Errorf("watch pods: %w", err)
	}
	out := make(chan marks, 1)
	go func() {
		defer dw.Stop()
		defer pw.Stop()
		var m marks
		defer func() { out <- m }()
		for m.scaled.IsZero() || m.created.IsZero() || m.addressed.IsZero() {
			select {
			case <-ctx.Done():
				return
			case ev, open := <-dw.ResultChan():
				if !open {
					return
				}
				if d, ok := ev.Object.(*appsv1.Deployment); ok && m.scaled.IsZero() && ptr.Deref(d.Spec.Replicas, 0) > 0 {
					m.scaled = time.Now()
				}
			case ev, open := <-pw.ResultChan():
				if !open {
					return
				}
				pod, ok := ev.Object.(*corev1.Pod)
				if ok && ev.Type == watch.Added && m.created.IsZero() {
					m.created = time.Now()
				}
				if ok && pod.Status.PodIP != "" && m.addressed.IsZero() {
					m.addressed = time.Now()
				}
			}
		}
	}()
	return out, nil
}

// split turns the marks (waiting at most marksTimeout for them) into the
// phases from start to end; a phase whose mark was not seen is left out,
// and so is the next one.
func split(start time.Time, ch <-chan marks, end time.Time) map[string]float64 {
	var m marks
	select {
	case m = <-ch:
	case <-time.After(marksTimeout):
	}
	out := map[string]float64{}
	prev := start
	for i, at := range []time.Time{m.scaled, m.created, m.addressed, end} {
		if at.IsZero() || prev.IsZero() {
			prev = at
			continue
		}
		out[phases[i].name] = ms(at.Sub(prev))
		prev = at
	}
	return out
}

// printCold prints the cold lanes' table and fills in their statistics.
func printCold(rep *report) {
	if len(rep.Cold) == 0 {
		return
	}
	series := map[string][]float64{}
	for _, r := range rep.Cold {
		series[r.Lane] = append(series[r.Lane], r.Ms)
		for name, v := range r.PhasesMs {
			series[r.Lane+"/"+name] = append(series[r.Lane+"/"+name], v)
		}
		if r.Lane == laneKafka {
			series[keyClient] = append(series[keyClient], r.ClientMs)
			series[keyAck] = append(series[keyAck], r.AckMs)
			series[keyWarm] = append(series[keyWarm], r.WarmMs)
		}
	}
	for key, v := range series {
		rep.Summary[key] = summary.Of(v)
	}
	d, k, kc := rep.Summary[laneDeployment], rep.Summary[laneKafka], rep.Summary[keyClient]
	rep.Difference["median"], rep.Difference["p90"] = k.Median-d.Median, k.P90-d.P90
	rep.Difference["clientMedian"], rep.Difference["clientP90"] = kc.Median-d.Median, kc.P90-d.P90

	fmt.Printf("\nkafka cold start, %d alternating runs per lane, started %s (ms)\n",
		rep.RunsPerLane, rep.StartedAt.Format("2006-01-02 15:04:05 MST"))
	fmt.Printf("%-60s %8s %8s %8s %8s\n", "lane", "median", "p90", "min", "max")
	row := func(name, key string) {
		s := rep.Summary[key]
		fmt.Printf("%-60s %8.0f %8.0f %8.0f %8.0f\n", name, s.Median, s.P90, s.Min, s.Max)
	}
	row("deployment 0→1, scale request → ready endpoint", laneDeployment)
	for _, p := range phases {
		row(p.desc, laneDeployment+"/"+p.name)
	}
	row("kafka at zero, produce → delivered (reply timestamp)", laneKafka)
	for _, p := range phases {
		row(p.desc, laneKafka+"/"+p.name)
	}
	row("kafka at zero, produce → reply read by this client", keyClient)
	row("kafka at zero, produce → acknowledged by the broker", keyAck)
	row("kafka warm, next message produce → delivered", keyWarm)
	fmt.Printf("%-60s %8.0f %8.0f\n", "difference kafka − deployment, delivered", rep.Difference["median"], rep.Difference["p90"])
	fmt.Printf("%-60s %8.0f %8.0f\n", "difference kafka − deployment, reply read", rep.Difference["clientMedian"], rep.Difference["clientP90"])
}

// ms is d in milliseconds, to the microsecond.
func ms(d time.Duration) float64 { return coldlane.Ms(d) }
