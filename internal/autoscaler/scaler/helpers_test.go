package scaler

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	clocktesting "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

var rev = types.NamespacedName{Namespace: "default", Name: "hello-00001"}

const depName = "hello-00001-deployment"

// targets is a Targets with a settable list that counts its listings.
type targets struct {
	mu    sync.Mutex
	list  []Target
	err   error
	calls int
}

func (t *targets) ListTargets(context.Context) ([]Target, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.calls++
	return append([]Target(nil), t.list...), t.err
}

func (t *targets) listings() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.calls
}

func (t *targets) set(list []Target, err error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.list, t.err = list, err
}

// statusLog is a StatusRecorder that remembers every call.
type statusLog struct {
	mu   sync.Mutex
	got  []decider.Decision
	revs []types.NamespacedName // the revision of each of got
}

func (s *statusLog) RecordDecision(_ context.Context, rev types.NamespacedName, d decider.Decision) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.got = append(s.got, d)
	s.revs = append(s.revs, rev)
	return nil
}

// of returns the decisions recorded for rev.
func (s *statusLog) of(rev types.NamespacedName) []decider.Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []decider.Decision
	for i, r := range s.revs {
		if r == rev {
			out = append(out, s.got[i])
		}
	}
	return out
}

func (s *statusLog) all() []decider.Decision {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]decider.Decision(nil), s.got...)
}

// fixedStats is a Stats with settable values.
type fixedStats struct {
	mu        sync.Mutex
	vals      map[types.NamespacedName]float64
	stale     bool
	forgotten []types.NamespacedName
}

func (f *fixedStats) Concurrency(k types.NamespacedName, _ time.Time) float64 {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.vals[k]
}

func (f *fixedStats) Fresh(time.Time) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return !f.stale
}

func (f *fixedStats) Forget(k types.NamespacedName) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgotten = append(f.forgotten, k)
}

func (f *fixedStats) set(k types.NamespacedName, v float64) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.vals == nil {
		f.vals = map[types.NamespacedName]float64{}
	}
	f.vals[k] = v
}

func deployment(name string, replicas, ready int32) *appsv1.Deployment {
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: rev.Namespace, Name: name},
		Spec:       appsv1.DeploymentSpec{Replicas: ptr.To(replicas)},
		Status:     appsv1.DeploymentStatus{ReadyReplicas: ready},
	}
}

// write is one scale write seen by the fake API server.
type write struct {
	name     string
	replicas int32
	// issued is when the scaler called the client, done when the fake API
	// server had stored the change (wall clock).
	issued, done time.Time
}

// env is a Scaler on a fake client, a fake clock and settable inputs.
type env struct {
	t       *testing.T
	ctx     context.Context
	clock   *clocktesting.FakeClock
	client  client.Client
	targets *targets
	status  *statusLog
	stats   *fixedStats
	writes  chan write
	s       *Scaler
}

type envOption func(*Options)

func newEnv(t *testing.T, spec decider.Spec, dep *appsv1.Deployment, opts ...envOption) *env {
	t.Helper()
	e := &env{
		t:       t,
		ctx:     t.Context(),
		clock:   clocktesting.NewFakeClock(time.Unix(1_764_000_000, 0)),
		targets: &targets{list: []Target{{Revision: rev, Deployment: depName, Spec: spec}}},
		status:  &statusLog{},
		stats:   &fixedStats{},
		writes:  make(chan write, 100),
	}
	e.client = fake.NewClientBuilder().WithObjects(dep).WithInterceptorFuncs(interceptor.Funcs{
		SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			issued := time.Now()
			if err := c.SubResource(sub).Update(ctx, obj, opts...); err != nil {
				return err
			}
			var o client.SubResourceUpdateOptions
			o.ApplyOptions(opts)
			if scale, ok := o.SubResourceBody.(*autoscalingv1.Scale); ok && sub == "scale" {
				e.observe(client.ObjectKeyFromObject(obj)) // as the informer would
				e.writes <- write{name: obj.GetName(), replicas: scale.Spec.Replicas, issued: issued, done: time.Now()}
			}
			return nil
		},
	}).Build()
	o := Options{
		Client:     e.client,
		Targets:    e.targets,
		Stats:      e.stats,
		Status:     e.status,
		Clock:      e.clock,
		Log:        testr.New(t),
		Registerer: prometheus.NewRegistry(),
	}
	for _, opt := range opts {
		opt(&o)
	}
	s, err := New(o)
	if err != nil {
		t.Fatal(err)
	}
	e.s = s
	e.observe(client.ObjectKeyFromObject(dep))
	if err := s.Sync(e.ctx); err != nil {
		t.Fatal(err)
	}
	return e
}

// observe hands the fake API server's copy of a Deployment to the Scaler,
// as a Deployment informer's event handler would.
func (e *env) observe(key client.ObjectKey) {
	var d appsv1.Deployment
	if err := e.client.Get(context.Background(), key, &d); err != nil {
		e.t.Errorf("get deployment %v: %v", key, err)
		return
	}
	e.s.ObserveDeployment(key, stateOf(&d))
}

func stateOf(d *appsv1.Deployment) DeploymentState {
	return DeploymentState{Replicas: ptr.Deref(d.Spec.Replicas, 1), ReadyReplicas: d.Status.ReadyReplicas}
}

// run advances the fake clock one second at a time for d, sampling every
// second and ticking every two, as Start would.
func (e *env) run(d time.Duration) {
	for i := 0; i < int(d/time.Second); i++ {
		e.clock.Step(time.Second)
		e.s.Sample(e.clock.Now())
		if e.clock.Now().Unix()%2 == 0 {
			e.s.Tick(e.ctx)
		}
	}
}

// drain returns the writes seen so far.
func (e *env) drain() []write {
	var out []write
	for {
		select {
		case w := <-e.writes:
			out = append(out, w)
		default:
			return out
		}
	}
}

// setReady makes the fake Deployment report n ready pods.
func (e *env) setReady(n int32) {
	e.t.Helper()
	var d appsv1.Deployment
	if err := e.client.Get(e.ctx, client.ObjectKey{Namespace: rev.Namespace, Name: depName}, &d); err != nil {
		e.t.Fatal(err)
	}
	d.Status.ReadyReplicas = n
	if err := e.client.Update(e.ctx, &d); err != nil {
		e.t.Fatal(err)
	}
	e.observe(client.ObjectKeyFromObject(&d))
}

func (e *env) replicas() int32 {
	e.t.Helper()
	var d appsv1.Deployment
	if err := e.client.Get(e.ctx, client.ObjectKey{Namespace: rev.Namespace, Name: depName}, &d); err != nil {
		e.t.Fatal(err)
	}
	return ptr.Deref(d.Spec.Replicas, 1)
}

func specWith(mut func(*decider.Spec)) decider.Spec {
	s := decider.Defaults()
	if mut != nil {
		mut(&s)
	}
	return s
}
