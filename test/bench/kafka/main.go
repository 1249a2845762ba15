//go:build e2e

// Command kafka measures Wake's Kafka triggers on the local cluster
// against references taken in the same run (see BENCHMARKS.md):
//
//   - cold: produce-to-first-delivery for a Function at zero, alternating
//     with a plain Deployment scaled 0 → 1 (the floor, timed as
//     bench-coldstart times it: from the scale request until its
//     EndpointSlice has a ready endpoint). The Function is cereply, whose
//     answer (the message's ce-id) the dispatcher produces to the trigger's
//     reply topic. The headline is the reply record's timestamp, set by the
//     dispatcher's producer right after it read the answer, minus the time
//     just before this client's produce call (same host clock, millisecond
//     timestamps); the time until this client read the reply is reported
//     too. Before every run both lanes are at zero, with no pods.
//   - throughput: messages per second one dispatcher delivers to a warm
//     Function (one pod) from a 3-partition topic filled up front, with a
//     reply topic (from the first reply's timestamp to the last) and
//     without (from the dispatcher's delivered counter, read every 50 ms),
//     against a closed loop of plain HTTP requests through the activator
//     to the same Function with as many connections as the trigger's
//     maxInFlight, alternating; with the CPU time each process spent.
//
// It creates the namespace bench-kafka-<random> and topics named after it,
// deletes them at the end, prints tables and writes the raw numbers to
// bin/bench/kafka.json. Run it with `make bench-kafka` against a cluster
// brought up with `make dev`.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	wakescheme "github.com/wakefn/wake/internal/scheme"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
	"github.com/wakefn/wake/test/bench/internal/rawnumbers"
	"github.com/wakefn/wake/test/bench/internal/summary"
)

const (
	systemNamespace = "wake-system"
	// cereplyImage answers each CloudEvent with its ce-id.
	cereplyImage = "wake/cereply:dev"
	// waitTimeout bounds waiting for an object's state; pollInterval is
	// how often such a wait looks again.
	waitTimeout  = 3 * time.Minute
	pollInterval = 100 * time.Millisecond
)

// report is the JSON written to bin/bench/kafka.json.
type report struct {
	StartedAt   time.Time `json:"startedAt"`
	RunsPerLane int       `json:"runsPerLane"`
	Messages    int       `json:"throughputMessages"`
	Cold        []coldRun `json:"cold"`
	Throughput  []tput    `json:"throughput"`
	// Summary holds the statistics of every series, by key.
	Summary map[string]summary.Summary `json:"summary"`
	// Difference is kafka − deployment in ms, for the medians and p90s of
	// the delivery (reply timestamp) and of the reply read by the client.
	Difference map[string]float64 `json:"differenceMs"`
	// Ratio is the median dispatcher messages/s over the median HTTP
	// requests/s, by lane/maxInFlight.
	Ratio map[string]float64 `json:"ratioDispatcherToHTTP"`
}

// bench holds what the lanes share.
type bench struct {
	c         client.WithWatch
	ns        string
	activator *coldlane.Activator
	broker    *broker
	// dispatcherMetrics is the dispatcher's metrics page.
	dispatcherMetrics string
}

func main() {
	runs := flag.Int("runs", 10, "measured cold runs per lane (0 skips the cold lanes)")
	rounds := flag.Int("rounds", 3, "throughput rounds (0 skips the throughput lanes)")
	n := flag.Int("n", 20000, "messages (and HTTP requests) per throughput lane")
	inflight := flag.String("inflight", "20,100", "the triggers' maxInFlight values, comma-separated; the HTTP lane uses as many connections")
	out := flag.String("out", filepath.Join("bin", "bench", "kafka.json"), "where to write the raw numbers")
	kubeconfig := flag.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig (default $KUBECONFIG, else bin/kubeconfig)")
	flag.Parse()
	if *kubeconfig == "" {
		*kubeconfig = filepath.Join("bin", "kubeconfig")
	}
	var inflights []int
	for v := range strings.SplitSeq(*inflight, ",") {
		m, err := strconv.Atoi(strings.TrimSpace(v))
		if err != nil || m < 1 || m > 1000 {
			fmt.Fprintf(os.Stderr, "kafka: -inflight: %q is not between 1 and 1000\n", v)
			os.Exit(2)
		}
		inflights = append(inflights, m)
	}
	if err := mainErr(*kubeconfig, *runs, *rounds, *n, inflights, *out); err != nil {
		fmt.Fprintln(os.Stderr, "kafka:", err)
		os.Exit(1)
	}
}

func mainErr(kubeconfig string, runs, rounds, n int, inflights []int, out string) error {
	cfg, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	c, err := client.NewWithWatch(cfg, client.Options{Scheme: wakescheme.New()})
	if err != nil {
		return err
	}
	ctx := context.Background()
	b := &bench{c: c}
	if b.activator, err = coldlane.FindActivator(ctx, c); err != nil {
		return err
	}
	if b.broker, err = findBroker(ctx, c); err != nil {
		return err
	}
	defer b.broker.close()
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	b.ns = "bench-kafka-" + hex.EncodeToString(suffix)
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}}); err != nil {
		return fmt.Errorf("create namespace: %w", err)
	}
	defer b.teardown()

	rep := report{StartedAt: time.Now().UTC(), RunsPerLane: runs, Messages: n,
		Summary: map[string]summary.Summary{}, Difference: map[string]float64{}, Ratio: map[string]float64{}}
	fmt.Fprintf(os.Stderr, "namespace %s, started %s\n", b.ns, rep.StartedAt.Format(time.RFC3339))
	if runs > 0 {
		if rep.Cold, err = b.coldLanes(ctx, runs); err != nil {
			return err
		}
	}
	if rounds > 0 {
		if rep.Throughput, err = b.throughputLanes(ctx, rounds, n, inflights); err != nil {
			return err
		}
	}
	printCold(&rep)
	printThroughput(&rep, inflights)
	return rawnumbers.Write(out, rep)
}

// teardown deletes the triggers and the namespace (without waiting for
// it), and the run's topics and consumer groups.
func (b *bench) teardown() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := b.c.DeleteAllOf(ctx, &servingv1alpha1.KafkaTrigger{}, client.InNamespace(b.ns)); err != nil {
		fmt.Fprintf(os.Stderr, "delete kafkatriggers: %v\n", err)
	}
	if err := b.c.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}}); err != nil {
		fmt.Fprintf(os.Stderr, "delete namespace %s: %v\n", b.ns, err)
	}
	if err := b.broker.cleanUp(ctx, b.ns); err != nil {
		fmt.Fprintf(os.Stderr, "delete topics %s.*: %v\n", b.ns, err)
	}
}

// cereply creates the Function name running cereply, with the scaling
// knobs bench-coldstart gives its Function (back to zero 6 s after the
// last request), adjusted by mutate, and waits until it is Ready.
func (b *bench) cereply(ctx context.Context, name string, mutate func(*servingv1alpha1.Function)) error {
	fn := coldlane.Function(b.ns, name, "", nil, coldlane.MinStableWindow)
	ctr := &fn.Spec.Template.Spec.Containers[0]
	ctr.Image, ctr.Env = cereplyImage, nil
	if mutate != nil {
		mutate(fn)
	}
	if err := b.c.Create(ctx, fn); err != nil {
		return fmt.Errorf("create function %s: %w", name, err)
	}
	return b.waitReady(ctx, fn, func() (int64, *apis.Condition) {
		return fn.Status.ObservedGeneration, fn.Status.GetCondition(apis.ConditionReady)
	})
}

// trigger creates a KafkaTrigger name delivering topic to function, from
// the topic's start, with its replies in replyTopic; mutate adjusts it.
func (b *bench) trigger(ctx context.Context, name, function, topic, replyTopic string, mutate func(*servingv1alpha1.KafkaTrigger)) (*servingv1alpha1.KafkaTrigger, error) {
	kt := &servingv1alpha1.KafkaTrigger{
		ObjectMeta: metav1.ObjectMeta{Namespace: b.ns, Name: name},
		Spec: servingv1alpha1.KafkaTriggerSpec{
			Function:       function,
			Topics:         []servingv1alpha1.KafkaTopic{servingv1alpha1.KafkaTopic(topic)},
			StartingOffset: servingv1alpha1.KafkaStartingOffsetEarliest,
			ReplyTopic:     servingv1alpha1.KafkaTopic(replyTopic),
		},
	}
	if mutate != nil {
		mutate(kt)
	}
	if err := b.c.Create(ctx, kt); err != nil {
		return nil, fmt.Errorf("create kafkatrigger %s: %w", name, err)
	}
	return kt, nil
}

// waitJoined waits until the trigger's consumer group is joined.
func (b *bench) waitJoined(ctx context.Context, kt *servingv1alpha1.KafkaTrigger) error {
	return b.waitReady(ctx, kt, func() (int64, *apis.Condition) {
		return kt.Status.ObservedGeneration, kt.Status.GetCondition(servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined)
	})
}

// waitReady gets o until cond, read from o, is True for its generation.
func (b *bench) waitReady(ctx context.Context, o client.Object, cond func() (int64, *apis.Condition)) error {
	ctx, cancel := context.WithTimeout(ctx, waitTimeout)
	defer cancel()
	_, err := poll.Until(ctx, pollInterval, func(ctx context.Context) error {
		if err := b.c.Get(ctx, client.ObjectKeyFromObject(o), o); err != nil {
			return poll.Stop(err)
		}
		gen, c := cond()
		if gen != o.GetGeneration() || c == nil || !c.IsTrue() {
			return fmt.Errorf("generation %d observed %d, condition %+v", o.GetGeneration(), gen, ptr.Deref(c, apis.Condition{}))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("%T %s: %w", o, o.GetName(), err)
	}
	return nil
}
