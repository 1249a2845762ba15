package statserver

import (
	"context"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	corev1client "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/utils/ptr"

	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testenv"
)

// The API server is started by the first test that needs one, so that the
// tests on a fake authenticator run without it.
var (
	envOnce sync.Once
	envErr  error
	kubeEnv *testenv.Env
)

func TestMain(m *testing.M) {
	code := m.Run()
	if kubeEnv != nil {
		if err := kubeEnv.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, "stop envtest:", err)
		}
	}
	os.Exit(code)
}

// cluster reaches the test API server as an administrator.
type cluster struct {
	core    corev1client.CoreV1Interface
	reviews authenticationv1client.TokenReviewInterface
	// ns is the test's own namespace, standing in for wake-system.
	ns string
}

// apiServer starts envtest once, and creates a namespace for the test with
// the activator's ServiceAccount in it.
func apiServer(t *testing.T) *cluster {
	t.Helper()
	envOnce.Do(func() { kubeEnv, envErr = testenv.Start() })
	if envErr != nil {
		t.Fatalf("envtest: %v", envErr)
	}
	core, err := corev1client.NewForConfig(kubeEnv.Config)
	if err != nil {
		t.Fatal(err)
	}
	auth, err := authenticationv1client.NewForConfig(kubeEnv.Config)
	if err != nil {
		t.Fatal(err)
	}
	ns, err := core.Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "statserver-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{core: core, reviews: auth.TokenReviews(), ns: ns.Name}
	c.serviceAccount(t, c.ns, "wake-activator")
	return c
}

// activatorUser is the user name of the test namespace's activator
// ServiceAccount.
func (c *cluster) activatorUser() string {
	return "system:serviceaccount:" + c.ns + ":wake-activator"
}

func (c *cluster) serviceAccount(t *testing.T, ns, name string) {
	t.Helper()
	_, err := c.core.ServiceAccounts(ns).Create(context.Background(), &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}

// pod creates a Pod object running as ServiceAccount sa; no kubelet runs
// it, the token API only needs the object.
func (c *cluster) pod(t *testing.T, ns, name, sa string) *corev1.Pod {
	t.Helper()
	p, err := c.core.Pods(ns).Create(context.Background(), &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			ServiceAccountName: sa,
			Containers:         []corev1.Container{{Name: "activator", Image: "wake/activator:test"}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// token gets a token for ServiceAccount ns/sa from the TokenRequest API,
// issued for audience, valid for seconds, bound to pod unless it is nil.
func (c *cluster) token(t *testing.T, ns, sa string, pod *corev1.Pod, audience string, seconds int64) string {
	t.Helper()
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		Audiences:         []string{audience},
		ExpirationSeconds: ptr.To(seconds),
	}}
	if pod != nil {
		req.Spec.BoundObjectRef = &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID}
	}
	tr, err := c.core.ServiceAccounts(ns).CreateToken(context.Background(), sa, req, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("TokenRequest for %s/%s: %v", ns, sa, err)
	}
	return tr.Status.Token
}

// activatorToken is a token as kubelet projects it for activator pod.
func (c *cluster) activatorToken(t *testing.T, pod *corev1.Pod) string {
	t.Helper()
	return c.token(t, c.ns, "wake-activator", pod, statwire.Audience, 600)
}

// countingReviews counts the TokenReviews sent through it and can fail
// them before they reach the API server.
type countingReviews struct {
	authenticationv1client.TokenReviewInterface
	calls atomic.Int64
	fail  atomic.Bool
}

func (r *countingReviews) Create(ctx context.Context, tr *authenticationv1.TokenReview, o metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	r.calls.Add(1)
	if r.fail.Load() {
		return nil, apierrors.NewServiceUnavailable("injected: API server unavailable")
	}
	return r.TokenReviewInterface.Create(ctx, tr, o)
}
