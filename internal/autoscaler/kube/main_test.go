package kube

import (
	"context"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/collector"
	wakeconfig "github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/names"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testenv"
)

// env is the API server the integration tests share; nil without one.
var env *testenv.Env

func TestMain(m *testing.M) {
	e, err := testenv.Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start envtest:", err)
		os.Exit(1)
	}
	env = e
	code := m.Run()
	if err := e.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop envtest:", err)
	}
	os.Exit(code)
}

// wait is how long a test waits for the cluster to get where it expects.
const wait = 30 * time.Second

// apiClient returns a client that reads the API server, not a cache.
func apiClient(t *testing.T) client.Client {
	t.Helper()
	c, err := env.Client()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// namespace creates a namespace for one test.
func namespace(t *testing.T, c client.Client) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "autoscaler-"}}
	if err := c.Create(t.Context(), ns); err != nil {
		t.Fatal(err)
	}
	return ns.Name
}

// createRevision creates a Revision and, as the Revision reconciler would,
// its Deployment with the given replicas.
func createRevision(t *testing.T, c client.Client, ns, name string, sc *servingv1alpha1.Scaling, replicas int32) *servingv1alpha1.Revision {
	t.Helper()
	rev := &servingv1alpha1.Revision{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: servingv1alpha1.RevisionSpec{
			Containers: []servingv1alpha1.Container{{Image: "example.com/hello:1"}},
			Scaling:    sc,
		},
	}
	if err := c.Create(t.Context(), rev); err != nil {
		t.Fatal(err)
	}
	labels := map[string]string{servingv1alpha1.RevisionLabelKey: name}
	dep := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: ns, Name: names.Deployment(name), Labels: labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(rev, servingv1alpha1.GroupVersion.WithKind("Revision"))},
		},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "function", Image: "example.com/hello:1"}}},
			},
		},
	}
	if err := c.Create(t.Context(), dep); err != nil {
		t.Fatal(err)
	}
	return rev
}

// stack is a manager running the autoscaler, as wake-controller would.
type stack struct {
	mgr   ctrl.Manager
	reg   *prometheus.Registry
	addr  string
	store *wakeconfig.Store
	// ns holds the activators' ServiceAccount.
	ns string
}

type stackOptions struct {
	// config reaches the API server; nil means as an administrator.
	config       *rest.Config
	namespace    string
	tickInterval time.Duration
	// leaseID, when set, turns leader election on with this Lease.
	leaseID string
	// stats, when set, is Options.Stats.
	stats *collector.Collector
}

// startStack starts a manager with Setup, watching one namespace, plus a
// stand-in for kube-controller-manager that makes every replica of a
// Deployment ready at once. It stops when the test ends.
func startStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	log, quiet := stoppableLogger(t)
	mopts := ctrl.Options{
		Scheme:     env.Scheme,
		Logger:     log,
		Metrics:    metricsserver.Options{BindAddress: "0"},
		Cache:      cache.Options{DefaultNamespaces: map[string]cache.Config{o.namespace: {}}},
		Controller: config.Controller{SkipNameValidation: ptr.To(true)},
	}
	if o.leaseID != "" {
		mopts.LeaderElection = true
		mopts.LeaderElectionID = o.leaseID
		mopts.LeaderElectionNamespace = o.namespace
		mopts.LeaderElectionReleaseOnCancel = true
		// The lease is acquired on the first retry after it is free,
		// whatever its duration, so only the retry period keeps the test
		// short. The renew deadline is long because a renew that misses it
		// loses the lease and stops the manager, and an API server under
		// -race on a busy machine can take seconds to answer; the lease
		// outlasts it, as leader election requires.
		mopts.LeaseDuration = ptr.To(time.Minute)
		mopts.RenewDeadline = ptr.To(45 * time.Second)
		mopts.RetryPeriod = ptr.To(100 * time.Millisecond)
	}
	cfg := o.config
	if cfg == nil {
		cfg = env.Config
	}
	mgr, err := ctrl.NewManager(cfg, mopts)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{mgr: mgr, reg: prometheus.NewRegistry(), addr: ln.Addr().String(), store: wakeconfig.NewStore(), ns: o.namespace}
	// The test namespace stands in for wake-system: its wake-activator
	// ServiceAccount is the one whose tokens may report.
	if err := Setup(mgr, s.store, Options{StatsListener: ln, Registerer: s.reg, TickInterval: o.tickInterval, SystemNamespace: o.namespace, Stats: o.stats}); err != nil {
		t.Fatal(err)
	}
	if err := ctrl.NewControllerManagedBy(mgr).
		Named("fake-deployment-controller").
		For(&appsv1.Deployment{}).
		WithOptions(controller.Options{NeedLeaderElection: ptr.To(false)}).
		Complete(readyAtOnce{c: mgr.GetClient()}); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager: %v", err)
		}
		quiet()
	})
	return s
}

// stoppableLogger returns testr.New(t) and a function that silences it for
// good. A manager with leader election can log after its Start returned:
// the elector reports "leader election lost" on every stop, including a
// wanted one, and the manager logs it from a goroutine that nothing waits
// for. A log after the test has completed panics.
func stoppableLogger(t *testing.T) (logr.Logger, func()) {
	inner := testr.New(t).GetSink()
	s := stoppableSink{LogSink: inner, helper: t.Helper, state: &stoppable{}}
	return logr.New(s), func() {
		s.state.mu.Lock()
		defer s.state.mu.Unlock()
		s.state.stopped = true
	}
}

// stoppable is the state that a stoppableSink and its descendants share.
type stoppable struct {
	mu      sync.RWMutex
	stopped bool
}

// stoppableSink passes logs to a test's sink until it is stopped.
type stoppableSink struct {
	logr.LogSink
	helper func()
	state  *stoppable
}

func (s stoppableSink) Info(level int, msg string, kv ...any) {
	s.helper()
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	if !s.state.stopped {
		s.LogSink.Info(level, msg, kv...)
	}
}

func (s stoppableSink) Error(err error, msg string, kv ...any) {
	s.helper()
	s.state.mu.RLock()
	defer s.state.mu.RUnlock()
	if !s.state.stopped {
		s.LogSink.Error(err, msg, kv...)
	}
}

func (s stoppableSink) WithValues(kv ...any) logr.LogSink {
	s.LogSink = s.LogSink.WithValues(kv...)
	return s
}

func (s stoppableSink) WithName(name string) logr.LogSink {
	s.LogSink = s.LogSink.WithName(name)
	return s
}

// GetCallStackHelper lets logr mark its own frames, so that the test's log
// shows the caller's file and line.
func (s stoppableSink) GetCallStackHelper() func() { return s.helper }

// readyAtOnce stands in for the Deployment controller and kubelet: every
// replica is ready as soon as it is asked for.
type readyAtOnce struct{ c client.Client }

func (r readyAtOnce) Reconcile(ctx context.Context, req reconcile.Request) (reconcile.Result, error) {
	var d appsv1.Deployment
	if err := r.c.Get(ctx, req.NamespacedName, &d); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	n := ptr.Deref(d.Spec.Replicas, 1)
	if d.Status.Replicas == n && d.Status.ReadyReplicas == n {
		return reconcile.Result{}, nil
	}
	d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas, d.Status.UpdatedReplicas = n, n, n, n
	d.Status.ObservedGeneration = d.Generation
	return reconcile.Result{}, r.c.Status().Update(ctx, &d)
}

// metric returns the value of a gauge or counter without labels in the
// stack's registry, or -1 when it has no sample.
func (s *stack) metric(t *testing.T, name string) float64 {
	t.Helper()
	mfs, err := s.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name || len(mf.GetMetric()) == 0 {
			continue
		}
		m := mf.GetMetric()[0]
		switch {
		case m.GetGauge() != nil:
			return m.GetGauge().GetValue()
		case m.GetCounter() != nil:
			return m.GetCounter().GetValue()
		}
	}
	return -1
}

// activator is a stand-in for one wake-activator's stats connection.
type activator struct {
	t    *testing.T
	mu   sync.Mutex
	conn net.Conn
	load atomic.Pointer[[]statwire.Stat]
}

// dial connects an activator to the stack's stat server and presents the
// token kubelet would project for it: its pod is an object in the stack's
// namespace, running as the wake-activator ServiceAccount.
func dial(t *testing.T, s *stack) *activator {
	t.Helper()
	a := &activator{t: t}
	token := activatorToken(t, s.ns, a.source())
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = conn.Close() })
	if err := statwire.WriteAuth(conn, token); err != nil {
		t.Fatal(err)
	}
	a.conn = conn
	return a
}

// source is the activator's pod name, its frames' src.
func (a *activator) source() string { return "act-" + strings.ToLower(a.t.Name()) }

// activatorToken creates, unless they exist, the wake-activator
// ServiceAccount and a Pod named pod in ns, and returns a token bound to
// the pod for the stat audience, from the TokenRequest API.
func activatorToken(t *testing.T, ns, pod string) string {
	t.Helper()
	core, err := corev1client.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: DefaultActivatorServiceAccount}}
	if _, err := core.ServiceAccounts(ns).Create(t.Context(), sa, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	p, err := core.Pods(ns).Create(t.Context(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: pod},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa.Name,
			Containers:         []corev1.Container{{Name: "activator", Image: "wake/activator:test"}},
		},
	}, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		p, err = core.Pods(ns).Get(t.Context(), pod, metav1.GetOptions{})
	}
	if err != nil {
		t.Fatal(err)
	}
	tr, err := core.ServiceAccounts(ns).CreateToken(t.Context(), sa.Name, &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         []string{statwire.Audience},
		ExpirationSeconds: ptr.To[int64](600),
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: p.Name, UID: p.UID},
	}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// send writes one frame.
func (a *activator) send(entries ...statwire.Stat) {
	a.mu.Lock()
	defer a.mu.Unlock()
	f := statwire.Frame{Source: a.source(), Timestamp: time.Now().UnixMilli(), Stats: entries}
	if err := statwire.Write(a.conn, f); err != nil {
		a.t.Errorf("write stats frame: %v", err)
	}
}

// report sends the current load every period until the test ends, as an
// activator sends a snapshot every statwire.Period.
func (a *activator) report(period time.Duration) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				var entries []statwire.Stat
				if l := a.load.Load(); l != nil {
					entries = *l
				}
				a.send(entries...)
			}
		}
	}()
	a.t.Cleanup(func() {
		cancel()
		<-done
	})
}

// setLoad sets the concurrency the activator reports for rev.
func (a *activator) setLoad(rev types.NamespacedName, concurrency float64) {
	a.load.Store(&[]statwire.Stat{{Namespace: rev.Namespace, Revision: rev.Name, AverageConcurrency: concurrency, RequestCount: concurrency}})
}

// poke sends the signal of a request that arrived for rev at zero.
func (a *activator) poke(rev types.NamespacedName) {
	a.send(statwire.Stat{Namespace: rev.Namespace, Revision: rev.Name, RequestCount: 1, Poke: true})
}

// tracking returns a check that the autoscaler tracks n revisions.
func (s *stack) tracking(t *testing.T, n int) func(context.Context) error {
	return func(context.Context) error {
		if got := s.metric(t, "wake_autoscaler_revisions"); got != float64(n) {
			return fmt.Errorf("tracking %v revisions, want %d", got, n)
		}
		return nil
	}
}

// scaledTo returns a check that the revision's Deployment wants want
// replicas and its status.desiredReplicas says so too.
func scaledTo(t *testing.T, c client.Client, key types.NamespacedName, want int32) func(context.Context) error {
	return func(context.Context) error {
		scale, st := scaleOf(t, c, key.Namespace, key.Name), revisionStatus(t, c, key)
		if desired := ptr.Deref(st.DesiredReplicas, -1); scale != want || desired != want {
			return fmt.Errorf("scale %d, status.desiredReplicas %v; want both %d", scale, desired, want)
		}
		return nil
	}
}

// scaleOf returns a Deployment's spec.replicas from the API server.
func scaleOf(t *testing.T, c client.Client, ns, name string) int32 {
	t.Helper()
	var d appsv1.Deployment
	if err := c.Get(t.Context(), types.NamespacedName{Namespace: ns, Name: names.Deployment(name)}, &d); err != nil {
		t.Fatal(err)
	}
	return ptr.Deref(d.Spec.Replicas, 1)
}

// revisionStatus returns a Revision's status from the API server.
func revisionStatus(t *testing.T, c client.Client, key types.NamespacedName) servingv1alpha1.RevisionStatus {
	t.Helper()
	var rev servingv1alpha1.Revision
	if err := c.Get(t.Context(), key, &rev); err != nil {
		t.Fatal(err)
	}
	return rev.Status
}
