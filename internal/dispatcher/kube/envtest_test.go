package kube

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"

	"github.com/twmb/franz-go/pkg/kgo"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// function creates a Function whose status has a URL with host and is
// Ready, as Wake's controller would write it.
func function(t *testing.T, ns, name, host string) {
	t.Helper()
	ctx := context.Background()
	f := fixture.Function(ns, name, fixture.WithFunctionImage("wake/hello:dev"))
	if err := k8s.Create(ctx, f); err != nil {
		t.Fatal(err)
	}
	f.Status.InitializeConditions()
	f.Status.MarkLatestRevisionReady()
	f.Status.URL = &apis.URL{Scheme: "http", Host: host}
	f.Status.LatestReadyRevisionName = name + "-00001"
	if err := k8s.Status().Update(ctx, f); err != nil {
		t.Fatal(err)
	}
}

func trigger(ns, name, function string, mutate ...func(*servingv1alpha1.KafkaTriggerSpec)) *servingv1alpha1.KafkaTrigger {
	kt := &servingv1alpha1.KafkaTrigger{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: servingv1alpha1.KafkaTriggerSpec{
			Function: function, Topics: []servingv1alpha1.KafkaTopic{"orders"}, StartingOffset: servingv1alpha1.KafkaStartingOffsetEarliest,
		},
	}
	for _, m := range mutate {
		m(&kt.Spec)
	}
	return kt
}

// waitCondition waits until the trigger's condition ct has status want
// (and reason, if not empty) for its current generation.
func waitCondition(t *testing.T, key types.NamespacedName, ct apis.ConditionType, want corev1.ConditionStatus, reason string) *servingv1alpha1.KafkaTrigger {
	t.Helper()
	var kt servingv1alpha1.KafkaTrigger
	testutil.Eventually(t, 3*testenv.Timeout, fmt.Sprintf("%s %s %s", ct, want, reason), func(ctx context.Context) error {
		if err := k8s.Get(ctx, key, &kt); err != nil {
			return err
		}
		c := kt.Status.GetCondition(ct)
		if kt.Status.ObservedGeneration != kt.Generation || c == nil || c.Status != want || (reason != "" && c.Reason != reason) {
			return fmt.Errorf("conditions %+v", kt.Status.Conditions)
		}
		return nil
	})
	return &kt
}

// produce writes n messages to topic on the suite's broker.
func produce(t *testing.T, topic string, n int) {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(broker.ListenAddrs()...))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for i := range n {
		r := &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", i), Value: []byte("v")}
		if err := cl.ProduceSync(context.Background(), r).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestTriggerDeliversAndIsReady: a trigger on the embedded broker consumes,
// delivers every message to its Function's host, is Ready with its lag at
// 0, and says it uses the development broker.
func TestTriggerDeliversAndIsReady(t *testing.T) {
	ns := testenv.Namespace(t, k8s, "deliver")
	host := "ok." + ns + ".example.com"
	function(t, ns, "ok", host)
	kt := trigger(ns, "orders", "ok", func(s *servingv1alpha1.KafkaTriggerSpec) { s.ConsumerGroup = ns })
	if err := k8s.Create(context.Background(), kt); err != nil {
		t.Fatal(err)
	}
	key := types.NamespacedName{Namespace: ns, Name: "orders"}
	got := waitCondition(t, key, apis.ConditionReady, corev1.ConditionTrue, "")
	if c := got.Status.GetCondition(servingv1alpha1.KafkaTriggerConditionDevelopmentBroker); !c.IsTrue() {
		t.Errorf("DevelopmentBroker = %+v, want True", c)
	}
	if got.Status.ConsumerGroup != ns {
		t.Errorf("status.consumerGroup = %q, want %q", got.Status.ConsumerGroup, ns)
	}
	produce(t, "orders", 30)
	testutil.Eventually(t, testenv.Timeout, "30 messages delivered", func() bool { return len(fn.received(host)) >= 30 })
	testutil.Eventually(t, testenv.Timeout, "lag 0 in status", func(ctx context.Context) error {
		var kt servingv1alpha1.KafkaTrigger
		if err := k8s.Get(ctx, key, &kt); err != nil {
			return err
		}
		if kt.Status.Lag != 0 || len(kt.Status.Partitions) != 3 {
			return fmt.Errorf("lag %d, partitions %+v", kt.Status.Lag, kt.Status.Partitions)
		}
		return nil
	})
}

// TestTriggerConditionsSayWhatIsWrong: each bad input gives the condition
// that names it.
func TestTriggerConditionsSayWhatIsWrong(t *testing.T) {
	closed, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	unreachable := closed.Addr().String()
	_ = closed.Close()
	tests := []struct {
		name      string
		function  string // created with a host of its name unless ""
		secret    map[string]string
		spec      func(*servingv1alpha1.KafkaTriggerSpec)
		condition apis.ConditionType
		status    corev1.ConditionStatus
		reason    string
		message   string
	}{
		{name: "unreachable broker", function: "ok",
			spec: func(s *servingv1alpha1.KafkaTriggerSpec) {
				s.Broker = &servingv1alpha1.KafkaBroker{BootstrapServers: []string{unreachable}}
			},
			condition: servingv1alpha1.KafkaTriggerConditionBrokerReachable, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonBrokerUnreachable},
		{name: "missing topic", function: "ok",
			spec: func(s *servingv1alpha1.KafkaTriggerSpec) {
				s.Topics = []servingv1alpha1.KafkaTopic{"orders", "no-such-topic"}
			},
			condition: servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonTopicMissing, message: "no-such-topic"},
		{name: "malformed secret", function: "ok", secret: map[string]string{"username": "u"},
			spec: func(s *servingv1alpha1.KafkaTriggerSpec) {
				s.Broker = &servingv1alpha1.KafkaBroker{BootstrapServers: broker.ListenAddrs(), SASL: &servingv1alpha1.KafkaSASL{Mechanism: servingv1alpha1.KafkaSASLPlain, SecretName: "kafka-user"}}
			},
			condition: servingv1alpha1.KafkaTriggerConditionBrokerReachable, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonSecretInvalid, message: "key password"},
		{name: "missing secret", function: "ok",
			spec: func(s *servingv1alpha1.KafkaTriggerSpec) {
				s.Broker = &servingv1alpha1.KafkaBroker{BootstrapServers: broker.ListenAddrs(), SASL: &servingv1alpha1.KafkaSASL{Mechanism: servingv1alpha1.KafkaSASLPlain, SecretName: "kafka-user"}}
			},
			condition: servingv1alpha1.KafkaTriggerConditionBrokerReachable, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonSecretMissing},
		{name: "function never answers 2xx", function: "fail",
			spec:      func(s *servingv1alpha1.KafkaTriggerSpec) { s.Retry.MinBackoff = &metav1.Duration{Duration: 10e6} },
			condition: servingv1alpha1.KafkaTriggerConditionDelivering, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonDeliveryFailing, message: "500"},
		{name: "missing function",
			condition: servingv1alpha1.KafkaTriggerConditionFunctionReady, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonFunctionMissing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := testenv.Namespace(t, k8s, "bad")
			fnName := "absent"
			if tc.function != "" {
				fnName = tc.function
				function(t, ns, fnName, fnName+"-"+ns+".example.com")
			}
			if tc.secret != nil {
				s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "kafka-user"}, StringData: tc.secret}
				if err := k8s.Create(context.Background(), s); err != nil {
					t.Fatal(err)
				}
			}
			kt := trigger(ns, "t", fnName, func(s *servingv1alpha1.KafkaTriggerSpec) { s.ConsumerGroup = ns })
			if tc.spec != nil {
				tc.spec(&kt.Spec)
			}
			if err := k8s.Create(context.Background(), kt); err != nil {
				t.Fatal(err)
			}
			if tc.function == "fail" {
				produce(t, "orders", 1)
			}
			got := waitCondition(t, types.NamespacedName{Namespace: ns, Name: "t"}, tc.condition, tc.status, tc.reason)
			if c := got.Status.GetCondition(tc.condition); !strings.Contains(c.Message, tc.message) {
				t.Errorf("%s message %q, want it to contain %q", tc.condition, c.Message, tc.message)
			}
			if tc.condition != servingv1alpha1.KafkaTriggerConditionDelivering {
				if r := got.Status.GetCondition(apis.ConditionReady); r.IsTrue() {
					t.Errorf("Ready = %+v, want not True", r)
				}
			}
		})
	}
}

// TestTriggersPerNamespaceAreBounded: a namespace's triggers beyond the
// dispatcher's limit are not consumed and say why, the newest first; once
// an older one is deleted, the next is consumed.
func TestTriggersPerNamespaceAreBounded(t *testing.T) {
	ns := testenv.Namespace(t, k8s, "many")
	function(t, ns, "ok", "ok."+ns+".example.com")
	ctx := context.Background()
	names := []string{"t0", "t1", "t2"}
	for _, name := range names {
		if err := k8s.Create(ctx, trigger(ns, name, "ok", func(s *servingv1alpha1.KafkaTriggerSpec) { s.ConsumerGroup = ns + "-" + name })); err != nil {
			t.Fatal(err)
		}
	}
	key := func(name string) types.NamespacedName { return types.NamespacedName{Namespace: ns, Name: name} }
	for _, name := range names[:maxTriggers] {
		waitCondition(t, key(name), servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, corev1.ConditionTrue, "")
	}
	newest := waitCondition(t, key("t2"), servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, corev1.ConditionFalse, servingv1alpha1.ReasonTooManyTriggers)
	if r := newest.Status.GetCondition(apis.ConditionReady); !r.IsFalse() {
		t.Errorf("Ready = %+v, want False", r)
	}
	if err := k8s.Delete(ctx, &servingv1alpha1.KafkaTrigger{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "t0"}}); err != nil {
		t.Fatal(err)
	}
	waitCondition(t, key("t2"), servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, corev1.ConditionTrue, "")
}
