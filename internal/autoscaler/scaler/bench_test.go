package scaler

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// mapCluster stands in for the API server and a Deployment informer: a
// scale write sets the replicas, makes them ready at once and hands the new
// state to the observer, as the informer's event handler would. Any other
// call panics (the embedded Client is nil): a tick must not read.
type mapCluster struct {
	client.Client
	mu       sync.RWMutex
	deps     map[types.NamespacedName]*appsv1.Deployment
	writes   int
	observer func(types.NamespacedName, DeploymentState)
}

func (m *mapCluster) SubResource(string) client.SubResourceClient { return scaleWriter{m: m} }

// observeAll hands every Deployment to s, as an informer's initial listing
// would, and keeps s as the observer of later writes.
func (m *mapCluster) observeAll(s *Scaler) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.observer = s.ObserveDeployment
	for k, d := range m.deps {
		s.ObserveDeployment(k, stateOf(d))
	}
}

type scaleWriter struct {
	client.SubResourceClient
	m *mapCluster
}

func (w scaleWriter) Update(_ context.Context, obj client.Object, opts ...client.SubResourceUpdateOption) error {
	var o client.SubResourceUpdateOptions
	o.ApplyOptions(opts)
	n := o.SubResourceBody.(*autoscalingv1.Scale).Spec.Replicas
	key := client.ObjectKeyFromObject(obj)
	w.m.mu.Lock()
	defer w.m.mu.Unlock()
	d := w.m.deps[key].DeepCopy()
	d.Spec.Replicas, d.Status.ReadyReplicas = ptr.To(n), n
	w.m.deps[key] = d
	w.m.writes++
	if w.m.observer != nil {
		w.m.observer(key, stateOf(d))
	}
	return nil
}

// fleet builds n revisions with steady, varied demand (0 to 99 in flight).
func fleet(n int) (*mapCluster, *targets, *fixedStats) {
	m := &mapCluster{deps: make(map[types.NamespacedName]*appsv1.Deployment, n)}
	tg := &targets{}
	st := &fixedStats{vals: make(map[types.NamespacedName]float64, n)}
	for i := range n {
		key := types.NamespacedName{Namespace: fmt.Sprintf("ns-%d", i%100), Name: fmt.Sprintf("fn-%d-00001", i)}
		m.deps[key] = &appsv1.Deployment{Spec: appsv1.DeploymentSpec{Replicas: ptr.To[int32](1)}, Status: appsv1.DeploymentStatus{ReadyReplicas: 1}}
		m.deps[key].Namespace, m.deps[key].Name = key.Namespace, key.Name
		tg.list = append(tg.list, Target{Revision: key, Deployment: key.Name, Spec: decider.Defaults()})
		st.vals[key] = float64(i % 100)
	}
	return m, tg, st
}

// BenchmarkTick measures one decision tick over 10,000 revisions in steady
// state (decisions and metrics; no writes left to do). Deployments reach
// the scaler through ObserveDeployment and targets through Sync, neither on
// the tick path: see BenchmarkSync. Sampling is timed separately.
func BenchmarkTick(b *testing.B) {
	const n = 10_000
	m, tg, st := fleet(n)
	clock := clocktesting.NewFakeClock(time.Unix(1_764_000_000, 0))
	s, err := New(Options{Client: m, Targets: tg, Stats: st, Clock: clock, Log: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m.observeAll(s)
	if err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	step := func() time.Duration {
		clock.Step(time.Second)
		s.Sample(clock.Now())
		clock.Step(time.Second)
		start := time.Now()
		s.Sample(clock.Now())
		return time.Since(start)
	}
	for range 100 { // past the stable window and the grace period: settled
		step()
		s.Tick(ctx)
	}
	writes := m.writes
	var sampled time.Duration
	ticks := 0
	for b.Loop() {
		b.StopTimer()
		sampled += step()
		b.StartTimer()
		s.Tick(ctx)
		ticks++
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(ticks), "ms/tick")
	b.ReportMetric(float64(sampled.Microseconds())/1000/float64(ticks), "ms/sample")
	b.ReportMetric(float64(m.writes-writes)/float64(ticks), "writes/tick")
}

// BenchmarkSync measures one Sync of 10,000 tracked revisions whose specs
// did not change: the cost of a TargetsChanged, paid off the tick path.
// Listing from a real cache costs more than the slice copy here.
func BenchmarkSync(b *testing.B) {
	const n = 10_000
	m, tg, st := fleet(n)
	s, err := New(Options{Client: m, Targets: tg, Stats: st, Log: logr.Discard()})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	m.observeAll(s)
	if err := s.Sync(ctx); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/sync")
}

// BenchmarkMemoryPerRevision reports the heap that tracking one revision
// costs: the scaler's entry, its decider with a 60 s window and its metric
// series.
func BenchmarkMemoryPerRevision(b *testing.B) {
	const n = 10_000
	m, tg, st := fleet(n)
	clock := clocktesting.NewFakeClock(time.Unix(1_764_000_000, 0))
	ctx := context.Background()
	var perRev float64
	for b.Loop() {
		m.observer = nil // let the previous iteration's Scaler go
		before := heap()
		s, err := New(Options{Client: m, Targets: tg, Stats: st, Clock: clock, Log: logr.Discard()})
		if err != nil {
			b.Fatal(err)
		}
		m.observeAll(s)
		if err := s.Sync(ctx); err != nil {
			b.Fatal(err)
		}
		s.Sample(clock.Now())
		s.Tick(ctx)
		perRev = float64(heap()-before) / n
		runtime.KeepAlive(s)
	}
	b.ReportMetric(perRev, "B/revision")
}

func heap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
