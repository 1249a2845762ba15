package kubectlwake_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/cli-runtime/pkg/genericiooptions"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/kubectlwake"
	"github.com/wakefn/wake/internal/testenv"
)

// The API server is started by the first test that needs one, so that the
// pure tests run without it.
var (
	envOnce    sync.Once
	envErr     error
	kubeEnv    *testenv.Env
	k8s        client.Client
	kubeconfig string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if kubeEnv != nil {
		if err := kubeEnv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
		}
		_ = os.RemoveAll(filepath.Dir(kubeconfig))
	}
	os.Exit(code)
}

// cluster is one test's namespace on the shared API server, and the clock
// its commands read.
type cluster struct {
	ns string
	// base is the namespace's creation, to the second: the objects a test
	// makes are created within seconds of it.
	base time.Time
}

// now is the commands' clock: 10m30s after base, so that every object
// created within 30 s of the namespace is "10m" old.
func (c *cluster) now() time.Time { return c.base.Add(10*time.Minute + 30*time.Second) }

// since is the lastTransitionTime the tests give conditions: an hour
// before base ("70m" ago).
func (c *cluster) since() time.Time { return c.base.Add(-time.Hour) }

// apiServer starts envtest once, writes a kubeconfig that reaches it as an
// administrator (the commands read it through --kubeconfig, as kubectl
// would), and creates namespace ns for the test.
func apiServer(t *testing.T, ns string) *cluster {
	t.Helper()
	envOnce.Do(func() {
		kubeEnv, envErr = testenv.Start()
		if envErr != nil {
			return
		}
		if k8s, envErr = kubeEnv.Client(); envErr != nil {
			return
		}
		kubeconfig, envErr = writeKubeconfig(kubeEnv)
	})
	if envErr != nil {
		t.Fatalf("envtest: %v", envErr)
	}
	n := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}
	if err := k8s.Create(context.Background(), n); err != nil {
		t.Fatalf("create namespace %s: %v", ns, err)
	}
	return &cluster{ns: ns, base: n.CreationTimestamp.Time}
}

// writeKubeconfig writes a kubeconfig for env's administrator into a
// temporary folder.
func writeKubeconfig(env *testenv.Env) (string, error) {
	cfg := env.Config
	kc := clientcmdapi.NewConfig()
	kc.Clusters["envtest"] = &clientcmdapi.Cluster{Server: cfg.Host, CertificateAuthorityData: cfg.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{ClientCertificateData: cfg.CertData, ClientKeyData: cfg.KeyData, Token: cfg.BearerToken}
	kc.Contexts["envtest"] = &clientcmdapi.Context{Cluster: "envtest", AuthInfo: "admin"}
	kc.CurrentContext = "envtest"
	dir, err := os.MkdirTemp("", "kubectl-wake-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "kubeconfig")
	return path, clientcmd.WriteToFile(*kc, path)
}

// run runs kubectl-wake with args in the test's namespace, as
// `kubectl wake -n ns args...`, and returns its standard output and
// error output and its error.
func (c *cluster) run(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	return c.runGlobal(t, append([]string{"-n", c.ns}, args...)...)
}

// runGlobal is run without -n: the kubeconfig's context has no namespace,
// so namespaced commands read "default".
func (c *cluster) runGlobal(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := kubectlwake.New(kubectlwake.Options{
		Streams: genericiooptions.IOStreams{In: &bytes.Buffer{}, Out: &out, ErrOut: &errOut},
		Now:     c.now,
	})
	cmd.SetArgs(append([]string{"--kubeconfig", kubeconfig}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), testenv.Timeout)
	defer cancel()
	err = cmd.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// create creates objs in order, each with the status it was given (written
// through the status subresource), every condition's lastTransitionTime
// set to c.since().
func (c *cluster) create(t *testing.T, objs ...client.Object) {
	t.Helper()
	ctx := context.Background()
	for _, o := range objs {
		want := o.DeepCopyObject().(client.Object)
		if err := k8s.Create(ctx, o); err != nil {
			t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
		if !c.restoreStatus(want, o) {
			continue
		}
		if err := k8s.Status().Update(ctx, o); err != nil {
			t.Fatalf("write the status of %T %s: %v", o, o.GetName(), err)
		}
	}
}

// restoreStatus copies from's status into to, stamping its conditions, and
// reports whether there is one to write.
func (c *cluster) restoreStatus(from, to client.Object) bool {
	stamp := func(s *duckv1.Status) {
		for i := range s.Conditions {
			s.Conditions[i].LastTransitionTime = apis.VolatileTime{Inner: metav1.NewTime(c.since())}
		}
		// Observed, unless the test says otherwise.
		if s.ObservedGeneration == 0 {
			s.ObservedGeneration = to.GetGeneration()
		}
	}
	switch f := from.(type) {
	case *servingv1alpha1.Function:
		to.(*servingv1alpha1.Function).Status = f.Status
		stamp(&to.(*servingv1alpha1.Function).Status.Status)
	case *servingv1alpha1.Revision:
		to.(*servingv1alpha1.Revision).Status = f.Status
		stamp(&to.(*servingv1alpha1.Revision).Status.Status)
	case *servingv1alpha1.Route:
		to.(*servingv1alpha1.Route).Status = f.Status
		stamp(&to.(*servingv1alpha1.Route).Status.Status)
	case *servingv1alpha1.TenantPolicy:
		to.(*servingv1alpha1.TenantPolicy).Status = f.Status
		stamp(&to.(*servingv1alpha1.TenantPolicy).Status.Status)
	case *servingv1alpha1.KafkaTrigger:
		to.(*servingv1alpha1.KafkaTrigger).Status = f.Status
		stamp(&to.(*servingv1alpha1.KafkaTrigger).Status.Status)
	default:
		return false
	}
	return true
}

// podStart is when a test pod reached each mark, in seconds after its
// creation; a negative time is a mark not reached.
type podStart struct {
	scheduled, initialized, sandbox, started, containersReady, ready int
	// waiting is the container's waiting reason while it has not started.
	waiting string
}

// pod creates a pod of revision rev of Function hello, started as s says
// (counted from its creationTimestamp, which the API server sets).
func (c *cluster) pod(t *testing.T, rev, name string, s podStart) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: c.ns, Name: name, Labels: map[string]string{
			servingv1alpha1.FunctionLabelKey: "hello", servingv1alpha1.RevisionLabelKey: rev,
		}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "function", Image: "registry.example/hello:v1"}}},
	}
	if err := k8s.Create(ctx, p); err != nil {
		t.Fatalf("create pod %s: %v", name, err)
	}
	at := func(sec int) metav1.Time {
		return metav1.NewTime(p.CreationTimestamp.Add(time.Duration(sec) * time.Second))
	}
	cond := func(typ corev1.PodConditionType, sec int) {
		st := corev1.ConditionTrue
		if sec < 0 {
			st, sec = corev1.ConditionFalse, 0
		}
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: typ, Status: st, LastTransitionTime: at(sec)})
	}
	cond(corev1.PodScheduled, s.scheduled)
	cond(corev1.PodInitialized, s.initialized)
	cond(corev1.PodReadyToStartContainers, s.sandbox)
	cond(corev1.ContainersReady, s.containersReady)
	cond(corev1.PodReady, s.ready)
	cs := corev1.ContainerStatus{Name: "function", Image: "registry.example/hello:v1", Ready: s.containersReady >= 0}
	if s.started >= 0 {
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: at(s.started)}
		cs.Started = &cs.Ready
	} else {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: s.waiting}
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{cs}
	p.Status.Phase = corev1.PodPending
	if s.ready >= 0 {
		p.Status.Phase = corev1.PodRunning
	}
	if err := k8s.Status().Update(ctx, p); err != nil {
		t.Fatalf("write the status of pod %s: %v", name, err)
	}
	return p
}

// scaledUp records the Deployment controller's event for revision rev's
// Deployment scaled from zero, sec seconds after pod p was created
// (negative: before).
func (c *cluster) scaledUp(t *testing.T, rev string, p *corev1.Pod, sec int) {
	t.Helper()
	when := metav1.NewTime(p.CreationTimestamp.Add(time.Duration(sec) * time.Second))
	ev := &corev1.Event{
		ObjectMeta:     metav1.ObjectMeta{Namespace: c.ns, Name: rev + ".scaled"},
		InvolvedObject: corev1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: c.ns, Name: rev},
		Reason:         "ScalingReplicaSet",
		Message:        "Scaled up replica set " + rev + "-6d4f9 from 0 to 1",
		Source:         corev1.EventSource{Component: "deployment-controller"},
		FirstTimestamp: when, LastTimestamp: when, Count: 1, Type: corev1.EventTypeNormal,
	}
	if err := k8s.Create(context.Background(), ev); err != nil {
		t.Fatalf("create event: %v", err)
	}
}
