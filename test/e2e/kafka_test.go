//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// kafkaMessages is how many messages TestKafkaTriggerDeliversEverything
// produces, besides one poison message.
const kafkaMessages = 10000

// brokerClient returns a franz-go client of the embedded broker, with opts.
// The broker advertises its in-cluster DNS name, which this machine cannot
// resolve, so every connection goes to the broker pod's IP.
func brokerClient(t *testing.T, opts ...kgo.Opt) *kgo.Client {
	t.Helper()
	var pod corev1.Pod
	if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: systemNamespace, Name: "wake-broker-0"}, &pod); err != nil {
		t.Fatalf("embedded broker: %v", err)
	}
	addr := net.JoinHostPort(pod.Status.PodIP, "9092")
	dialer := &net.Dialer{Timeout: 5 * time.Second}
	cl, err := kgo.NewClient(append([]kgo.Opt{
		kgo.SeedBrokers(addr),
		kgo.Dialer(func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		}),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cl.Close)
	return cl
}

// TestKafkaTriggerDeliversEverything: 10,000 messages produced to a
// 3-partition topic of the embedded broker while their Function is at zero
// all reach it through the activators (each message's CloudEvent ID comes
// back on the reply topic), although the dispatcher pod is deleted
// midway; the Function scales out and back to zero; a poison message lands
// in the dead-letter topic after its retries.
func TestKafkaTriggerDeliversEverything(t *testing.T) {
	ns := newNamespace(t, "kafka")
	fn := newFunction(ns, "reply", "cereply", withEnv("SLEEP_MS", "20"), withScaleBounds(0, 3), withFastScaleToZero(5*time.Second))
	fn.Spec.Template.Spec.ContainerConcurrency = 4
	create(t, fn)
	waitFunctionReady(t, ns, "reply", 2*time.Minute)
	rev := "reply-00001"
	testutil.Eventually(t, 2*time.Minute, "function at zero", func(ctx context.Context) error { return readyPodsAre(ctx, ns, rev, 0) })

	events, replies, dlq := ns+".events", ns+".replies", ns+".dlq"
	admin := kadm.NewClient(brokerClient(t))
	ctx := context.Background()
	if _, err := admin.CreateTopic(ctx, 3, 1, nil, events); err != nil {
		t.Fatal(err)
	}
	for _, topic := range []string{replies, dlq} {
		if _, err := admin.CreateTopic(ctx, 1, 1, nil, topic); err != nil {
			t.Fatal(err)
		}
	}
	create(t, &servingv1alpha1.KafkaTrigger{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "events"},
		Spec: servingv1alpha1.KafkaTriggerSpec{
			Function:        "reply",
			Topics:          []servingv1alpha1.KafkaTopic{servingv1alpha1.KafkaTopic(events)},
			StartingOffset:  servingv1alpha1.KafkaStartingOffsetEarliest,
			Delivery:        servingv1alpha1.KafkaDelivery{Ordering: servingv1alpha1.KafkaOrderingUnordered, MaxInFlight: ptr.To[int32](12)},
			Retry:           servingv1alpha1.KafkaRetry{Attempts: ptr.To[int32](3), MinBackoff: &metav1.Duration{Duration: 100 * time.Millisecond}},
			DeadLetterTopic: servingv1alpha1.KafkaTopic(dlq),
			ReplyTopic:      servingv1alpha1.KafkaTopic(replies),
		},
	})
	waitTriggerCondition(t, ns, "events", apis.ConditionReady, 2*time.Minute)
	// The embedded broker is for development: a condition and an event
	// say so.
	waitTriggerCondition(t, ns, "events", servingv1alpha1.KafkaTriggerConditionDevelopmentBroker, time.Minute)
	testutil.Eventually(t, time.Minute, "EmbeddedBroker event", func(ctx context.Context) error {
		var evs eventsv1.EventList
		if err := suite.client.List(ctx, &evs, client.InNamespace(ns)); err != nil {
			return err
		}
		for _, e := range evs.Items {
			if e.Regarding.Kind == "KafkaTrigger" && e.Regarding.Name == "events" && e.Reason == servingv1alpha1.ReasonEmbeddedBroker {
				return nil
			}
		}
		return fmt.Errorf("none among %d events", len(evs.Items))
	})

	// Produce, the Function still at zero, and note every message's ID.
	producer := brokerClient(t, kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	recs := make([]*kgo.Record, 0, kafkaMessages+1)
	for i := range kafkaMessages {
		recs = append(recs, &kgo.Record{Topic: events, Value: []byte("m-" + strconv.Itoa(i))})
	}
	recs = append(recs, &kgo.Record{Topic: events, Value: []byte("poison")})
	if n, err := readyPods(ctx, ns, rev); err != nil || n != 0 {
		t.Fatalf("%d ready pods before producing (%v), want 0", n, err)
	}
	start := time.Now()
	results := producer.ProduceSync(ctx, recs...)
	if err := results.FirstErr(); err != nil {
		t.Fatal(err)
	}
	want := map[string]bool{}
	var poisonID string
	for _, r := range results {
		id := fmt.Sprintf("%s-%d-%d", r.Record.Topic, r.Record.Partition, r.Record.Offset)
		if string(r.Record.Value) == "poison" {
			poisonID = id
			continue
		}
		want[id] = true
	}
	t.Logf("produced %d messages and a poison one in %s", len(want), time.Since(start).Round(time.Millisecond))

	// Watch the Function's pods while the messages flow.
	watchCtx, stopWatch := context.WithCancel(ctx)
	var maxPods int
	var watched sync.WaitGroup
	watched.Go(func() {
		for watchCtx.Err() == nil {
			if n, err := readyPods(watchCtx, ns, rev); err == nil && n > maxPods {
				maxPods = n
			}
			select {
			case <-watchCtx.Done():
			case <-time.After(pollInterval):
			}
		}
	})

	// Read the replies: each is a delivered message's ID. Delete the
	// dispatcher pod once a third of them are in.
	consumer := brokerClient(t, kgo.ConsumeTopics(replies), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	seen := map[string]int{}
	deleted := false
	deadline, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	for len(seen) < len(want) && deadline.Err() == nil {
		fetches := consumer.PollFetches(deadline)
		fetches.EachRecord(func(r *kgo.Record) { seen[string(r.Value)]++ })
		if !deleted && len(seen) >= len(want)/3 {
			deleted = true
			kubectl(t, time.Minute, "-n", systemNamespace, "delete", "pod", "-l", "app.kubernetes.io/name=wake-dispatcher", "--wait=false")
			t.Logf("deleted the dispatcher pod after %d messages were delivered", len(seen))
		}
	}
	took := time.Since(start)
	stopWatch()
	watched.Wait()
	missing, duplicates := 0, 0
	for id := range want {
		if seen[id] == 0 {
			missing++
		}
		duplicates += max(seen[id]-1, 0)
	}
	if missing > 0 || len(seen) != len(want) {
		t.Fatalf("%d of %d messages never delivered (%d distinct replies)", missing, len(want), len(seen))
	}
	t.Logf("all %d messages delivered in %s, %d duplicate replies (a delivery repeated after the dispatcher's deletion whose reply had been produced), up to %d ready pods",
		len(want), took.Round(time.Millisecond), duplicates, maxPods)
	if maxPods < 2 {
		t.Errorf("the function had at most %d ready pod(s) with a backlog of %d messages, want it to scale out", maxPods, len(want))
	}

	// The poison message is in the dead-letter topic, saying why.
	dead := brokerClient(t, kgo.ConsumeTopics(dlq), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	dlqCtx, cancelDLQ := context.WithTimeout(ctx, time.Minute)
	defer cancelDLQ()
	var got *kgo.Record
	for got == nil && dlqCtx.Err() == nil {
		dead.PollFetches(dlqCtx).EachRecord(func(r *kgo.Record) { got = r })
	}
	if got == nil {
		t.Fatalf("no message in the dead-letter topic; poison message %s", poisonID)
	}
	headers := map[string]string{}
	for _, h := range got.Headers {
		headers[h.Key] = string(h.Value)
	}
	if string(got.Value) != "poison" || fmt.Sprintf("%s-%s-%s", headers["wake-dlq-topic"], headers["wake-dlq-partition"], headers["wake-dlq-offset"]) != poisonID ||
		headers["wake-dlq-attempts"] != "3" {
		t.Errorf("dead letter %q with headers %v, want the poison message %s after 3 attempts", got.Value, headers, poisonID)
	}
	t.Logf("dead letter: %s (%s)", poisonID, headers["wake-dlq-error"])

	// Idle, the Function goes back to zero and the trigger has no lag.
	testutil.Eventually(t, 2*time.Minute, "function back at zero", func(ctx context.Context) error { return readyPodsAre(ctx, ns, rev, 0) })
	testutil.Eventually(t, time.Minute, "trigger lag 0", func(ctx context.Context) error {
		var kt servingv1alpha1.KafkaTrigger
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "events"}, &kt); err != nil {
			return err
		}
		if kt.Status.Lag != 0 {
			return fmt.Errorf("lag %d: %+v", kt.Status.Lag, kt.Status.Partitions)
		}
		return nil
	})
}

// waitTriggerCondition waits until the trigger's condition ct is True for
// its generation.
func waitTriggerCondition(t *testing.T, ns, name string, ct apis.ConditionType, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, fmt.Sprintf("kafkatrigger %s %s", name, ct), func(ctx context.Context) error {
		var kt servingv1alpha1.KafkaTrigger
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &kt); err != nil {
			return err
		}
		return conditionIs(kt.Generation, kt.Status.Status, ct, corev1.ConditionTrue)
	})
}
