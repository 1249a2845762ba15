package dashboards

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/twmb/franz-go/pkg/kfake"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/activator/metrics"
	"github.com/wakefn/wake/internal/autoscaler/collector"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/functionusage"
	"github.com/wakefn/wake/internal/autoscaler/meterrecords"
	"github.com/wakefn/wake/internal/autoscaler/routelogs"
	"github.com/wakefn/wake/internal/autoscaler/routeusage"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/autoscaler/statserver"
	"github.com/wakefn/wake/internal/dispatcher/consumers"
	"github.com/wakefn/wake/internal/dispatcher/delivery"
	"github.com/wakefn/wake/internal/metering/sink"
)

// family is what a dashboard may rely on of one metric: its type and the
// label names of its series.
type family struct {
	// Type is "counter", "gauge", "histogram", "summary" or "untyped".
	Type string
	// Labels are the label names, sorted.
	Labels []string
}

// wakeRegistries builds the Prometheus registries of Wake's three binaries
// the way they build them, with the same constructors, and drives each
// metric until it has a series, so that gathering them gives every metric
// with its type and label names. A metric with no series yet (a vector
// nobody has touched, a collector with nothing to report) would be
// invisible to Gather, so each is touched here, with made-up label
// values: only the label names matter.
//
//   - the activator (internal/activator/app.Run): its own registry, filled
//     by dataplane.New through metrics.New, with every optional
//     source set, and by feed.NewRefusedSlicesCounter;
//   - the controller's autoscaler (internal/autoscaler/kube.Setup):
//     controller-runtime's metrics.Registry, filled by the scaler, the stat
//     server, the usage, logs, metering and function usage parts and the
//     metering sinks' metrics;
//   - the Kafka dispatcher (internal/dispatcher/app.Run):
//     controller-runtime's metrics.Registry, filled by consumers.Collector.
//
// Each gets a fresh registry here rather than the global one, so the test
// neither depends on nor leaks into other tests. Neither controller-runtime
// nor the Go runtime's collectors register a wake_ metric, and the
// dashboard queries none of theirs.
func wakeRegistries(t *testing.T) map[string]family {
	t.Helper()
	regs := map[string]*prometheus.Registry{
		"activator":  activatorRegistry(t),
		"autoscaler": autoscalerRegistry(t),
		"dispatcher": dispatcherRegistry(t),
	}
	out := map[string]family{}
	for _, binary := range []string{"activator", "autoscaler", "dispatcher"} {
		mfs, err := regs[binary].Gather()
		if err != nil {
			t.Fatalf("gather the %s's metrics: %v", binary, err)
		}
		for _, mf := range mfs {
			var labels []string
			for _, m := range mf.GetMetric() {
				for _, lp := range m.GetLabel() {
					if !slices.Contains(labels, lp.GetName()) {
						labels = append(labels, lp.GetName())
					}
				}
			}
			slices.Sort(labels)
			f := family{Type: strings.ToLower(mf.GetType().String()), Labels: labels}
			if prev, ok := out[mf.GetName()]; ok && (prev.Type != f.Type || !slices.Equal(prev.Labels, f.Labels)) {
				t.Errorf("%s is a %s %v in one binary and a %s %v in the %s", mf.GetName(), prev.Type, prev.Labels, f.Type, f.Labels, binary)
			}
			out[mf.GetName()] = f
		}
	}
	return out
}

// activatorRegistry is the activator's registry, as dataplane.New and
// app.Run fill it.
func activatorRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	rev := types.NamespacedName{Namespace: "team-a", Name: "hello-00001"}
	route := types.NamespacedName{Namespace: "team-a", Name: "api"}
	zero := func() uint64 { return 0 }
	m, err := metrics.New(reg, metrics.Options{
		Depth: func(f func(types.NamespacedName, int, int)) { f(rev, 1, 1) },
		// Every optional source is set: a dashboard may show what any
		// configuration exports (MeteringDropped only when metering is on).
		StatsDropped: zero, LogLinesDropped: zero, MeteringDropped: zero, ClientsGone: zero,
		TenantInFlight: func(f func(string, int64)) { f(rev.Namespace, 1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	m.For(rev).Done(200, time.Millisecond)
	m.For(rev).Waited(time.Second, true)
	m.RouteDone(route, 0, 200)
	m.RouteLimited(route, 0, false)
	m.RouteClientDone(route, 0, "acme", 200)
	sliceRefused, err := feed.NewRefusedSlicesCounter(reg)
	if err != nil {
		t.Fatal(err)
	}
	sliceRefused("any")
	return reg
}

// autoscalerRegistry holds the autoscaler's metrics, as kube.Setup
// registers them on the controller's registry.
func autoscalerRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	ctx := t.Context()
	rev := types.NamespacedName{Namespace: "team-a", Name: "hello-00001"}

	// The scaler: one revision, decided once in a namespace with pod
	// limits, gives the per-revision and per-namespace series.
	stats := collector.New(0)
	sc, err := scaler.New(scaler.Options{
		Client: fake.NewClientBuilder().Build(),
		Targets: targetsFunc(func(context.Context) ([]scaler.Target, error) {
			return []scaler.Target{{Revision: rev, Deployment: rev.Name, Spec: decider.Defaults()}}, nil
		}),
		Stats:      stats,
		Limits:     podLimits{MaxPods: 1000},
		Log:        logr.Discard(),
		Registerer: reg,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := sc.Sync(ctx); err != nil {
		t.Fatal(err)
	}
	sc.ObserveDeployment(rev, scaler.DeploymentState{Replicas: 1, ReadyReplicas: 1})
	sc.Tick(ctx)

	if _, err := statserver.New(statserver.Options{Collector: stats, Authenticator: noAuth{}, Registerer: reg}); err != nil {
		t.Fatal(err)
	}
	reg.MustRegister(routeusage.New().DroppedCounter(), routelogs.NewStore().DroppedCounter())
	meterDropped := meterrecords.NewDroppedCounter()
	meterDropped.WithLabelValues("late")
	reg.MustRegister(meterDropped, functionusage.NewDroppedCounter())
	sink.NewExporter(sink.ExporterOptions{Sink: sink.NewJSONLines("billing", io.Discard), Metrics: sink.NewMetrics(reg)})
	return reg
}

// dispatcherRegistry holds the dispatcher's metrics, as app.Run registers
// them, with one consumer running (on a fake Kafka cluster) for the
// per-trigger series.
func dispatcherRegistry(t *testing.T) *prometheus.Registry {
	t.Helper()
	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "orders"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(broker.Close)
	ctx, cancel := context.WithCancel(context.Background())
	running := consumers.New(ctx, logr.Discard(), nil)
	t.Cleanup(func() { cancel(); running.Wait() })
	trigger := types.NamespacedName{Namespace: "team-a", Name: "orders"}
	cfg := delivery.Config{
		Name: trigger.String(), Brokers: broker.ListenAddrs(), Topics: []string{"orders"}, Group: "g",
		URL: "http://127.0.0.1:1", Timeout: time.Second, Log: logr.Discard(),
	}
	if err := running.Ensure(trigger, consumers.Spec{Config: cfg, Hash: "a"}); err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(consumers.NewCollector(running))
	return reg
}

// targetsFunc is a scaler.Targets.
type targetsFunc func(context.Context) ([]scaler.Target, error)

func (f targetsFunc) ListTargets(ctx context.Context) ([]scaler.Target, error) { return f(ctx) }

// podLimits gives every namespace the same pod limits.
type podLimits scaler.PodLimits

func (l podLimits) PodLimits(string) scaler.PodLimits { return scaler.PodLimits(l) }

// noAuth is a statserver.Authenticator that is never asked.
type noAuth struct{}

func (noAuth) Authenticate(context.Context, string) (statauth.Identity, error) {
	return statauth.Identity{}, nil
}
