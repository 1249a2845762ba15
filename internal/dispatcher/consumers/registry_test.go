package consumers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/dispatcher/delivery"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// TestRegistryReportsBacklogAsDemand: a trigger whose Function holds every
// delivery has its revision poked when messages arrive, and its backlog
// beyond the deliveries in flight reported as demand, up to what it can
// send at once; a stopped trigger reports none and keeps the reason.
func TestRegistryReportsBacklogAsDemand(t *testing.T) {
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(3, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	release := make(chan struct{})
	var inFlight atomic.Int32
	fn := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inFlight.Add(1)
		<-release
		w.WriteHeader(http.StatusOK)
	}))
	defer fn.Close()
	defer close(release)

	ctx, cancel := context.WithCancel(context.Background())
	defer func() { cancel() }()
	var pokes atomic.Int32
	rev := types.NamespacedName{Namespace: "team-a", Name: "fn-00001"}
	reg := New(ctx, logr.Discard(), func(got types.NamespacedName) {
		if got == rev {
			pokes.Add(1)
		}
	})
	trigger := types.NamespacedName{Namespace: "team-a", Name: "orders"}
	cfg := delivery.Config{
		Name: trigger.String(), Brokers: broker.ListenAddrs(), Topics: []string{"orders"}, Group: "g",
		StartAtEarliest: true, MaxInFlight: 5, URL: fn.URL, Timeout: time.Minute, Log: logr.Discard(),
	}
	if err := reg.Ensure(trigger, Spec{Config: cfg, Hash: "a", Revision: rev}); err != nil {
		t.Fatal(err)
	}

	producer, err := kgo.NewClient(kgo.SeedBrokers(broker.ListenAddrs()...), kgo.RecordPartitioner(kgo.RoundRobinPartitioner()))
	if err != nil {
		t.Fatal(err)
	}
	defer producer.Close()
	for range 60 {
		if err := producer.ProduceSync(ctx, &kgo.Record{Topic: "orders", Value: []byte("m")}).FirstErr(); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(t, 20*time.Second, "5 deliveries held and the revision poked", func() bool {
		return inFlight.Load() == 5 && pokes.Load() > 0
	})
	// 60 waiting, 5 in flight, 5 at most at once: nothing more to ask.
	want := []statwire.Stat{}
	testutil.Eventually(t, 20*time.Second, "demand of a full pipe", func(context.Context) error { return demandIs(reg, want) })

	// A larger pipe: Ensure with another hash replaces the consumer; its
	// demand is what Pending says of its state.
	cfg.MaxInFlight = 20
	if err := reg.Ensure(trigger, Spec{Config: cfg, Hash: "b", Revision: rev}); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, 20*time.Second, "demand of the new consumer", func(context.Context) error {
		st, ok := reg.Status(trigger)
		if !ok || st.Backlog < 60 {
			return fmt.Errorf("running %v, backlog %d", ok, st.Backlog)
		}
		want := []statwire.Stat{}
		if d := Pending(cfg, st); d > 0 {
			want = []statwire.Stat{{Namespace: rev.Namespace, Revision: rev.Name, AverageConcurrency: d}}
		}
		return demandIs(reg, want)
	})

	// The metrics README.md documents are the ones the collector gives.
	metrics := prometheus.NewPedanticRegistry()
	metrics.MustRegister(NewCollector(reg))
	perTrigger := testutil.Metric{Type: "counter", Labels: triggerLabels}
	perTriggerGauge := testutil.Metric{Type: "gauge", Labels: triggerLabels}
	testutil.CheckDocumentedMetrics(t, metrics, "wake_dispatcher_", map[string]testutil.Metric{
		"wake_dispatcher_consumers":                    {Type: "gauge"},
		"wake_dispatcher_messages_delivered_total":     perTrigger,
		"wake_dispatcher_delivery_failures_total":      perTrigger,
		"wake_dispatcher_messages_dead_lettered_total": perTrigger,
		"wake_dispatcher_replies_total":                perTrigger,
		"wake_dispatcher_lag_messages":                 perTriggerGauge,
		"wake_dispatcher_in_flight_messages":           perTriggerGauge,
	})
	if v, ok := testutil.MetricValue(t, metrics, "wake_dispatcher_in_flight_messages", map[string]string{"namespace": "team-a", "trigger": "orders"}); !ok || v < 5 {
		t.Errorf("wake_dispatcher_in_flight_messages = %v (%v), want the held deliveries", v, ok)
	}

	why := errors.New("secret missing")
	reg.Stop(trigger, why)
	if !errors.Is(reg.Problem(trigger), why) || reg.Len() != 0 || len(reg.Demand()) != 0 {
		t.Errorf("after Stop: problem %v, %d running, demand %v", reg.Problem(trigger), reg.Len(), reg.Demand())
	}
}

func demandIs(reg *Registry, want []statwire.Stat) error {
	got := reg.Demand()
	if len(got) != len(want) || (len(got) == 1 && got[0] != want[0]) {
		return fmt.Errorf("demand %+v, want %+v", got, want)
	}
	return nil
}
