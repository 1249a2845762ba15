package integration

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/app"
	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/names"
	"github.com/wakefn/wake/internal/testutil"
)

// startActivator runs a real activator against the envtest API server and
// returns its data-plane address.
func startActivator(t *testing.T) string {
	t.Helper()
	data, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stop := runActivator(t, app.Options{Listener: data})
	t.Cleanup(func() {
		if err := stop(); err != nil && !errors.Is(err, context.Canceled) {
			t.Errorf("activator: %v", err)
		}
	})
	return data.Addr().String()
}

// runActivator runs a real activator with o (its data listener set by the
// caller) against the envtest API server, waits until it is ready, and
// returns what stops it and returns Run's result.
func runActivator(t *testing.T, o app.Options) (stop func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	admin, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	stats, err := net.Listen("tcp", "127.0.0.1:0") // an autoscaler that only listens
	if err != nil {
		t.Fatal(err)
	}
	o.Kube, o.AdminListener, o.AutoscalerAddress = restCfg, admin, stats.Addr().String()
	o.SystemNamespace, o.ActivatorService = "wake-system", "wake-activator"
	o.PodName, o.PodIP, o.Log, o.Dial = "activator-test", "127.0.0.1", logr.Discard(), dialPods
	done := make(chan error, 1)
	go func() { done <- app.Run(ctx, o) }()
	var once sync.Once
	var result error
	stop = func() error {
		once.Do(func() {
			cancel()
			result = <-done
			_ = stats.Close()
		})
		return result
	}
	t.Cleanup(func() { _ = stop() })
	testutil.Eventually(t, waitTimeout, "activator ready", func(context.Context) error {
		resp, err := http.Get("http://" + admin.Addr().String() + "/readyz")
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("readyz %d", resp.StatusCode)
		}
		return nil
	})
	return stop
}

// podNet stands in for the pod network: EndpointSlices refuse loopback
// addresses, so pods get addresses from TEST-NET-1 (192.0.2.0/24), which
// dialPods maps onto 127.0.0.1. No packet is sent to 192.0.2.0/24.
const podNet = "192.0.2."

func dialPods(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(host, podNet) {
		return nil, fmt.Errorf("dial %s: not a test pod address", address)
	}
	var d net.Dialer
	return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
}

// backend is a function pod on loopback that names itself in its answers.
func backend(t *testing.T, name string) *httptest.Server {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprintf(w, "%s %s %s", name, r.Method, r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return s
}

// serveRevision plays kubelet and the EndpointSlice controller for a
// revision: its Deployment reports a ready pod, and its EndpointSlice lists
// the backend's address, held by a running pod of the revision. The slice is
// made as the controller makes it (labels, managed-by, owned by the
// revision's Service), since the activator uses no other.
func serveRevision(t *testing.T, ns, rev string, be *httptest.Server) {
	t.Helper()
	ctx := context.Background()
	testutil.Eventually(t, waitTimeout, "deployment of "+rev+" reports a ready pod", func(ctx context.Context) error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, d); err != nil {
			return err
		}
		d.Status.Replicas, d.Status.ReadyReplicas, d.Status.AvailableReplicas = 1, 1, 1
		return k8s.Status().Update(ctx, d)
	})
	_, portStr, _ := net.SplitHostPort(be.Listener.Addr().String())
	port, _ := strconv.Atoi(portStr)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rev + "-pod", Labels: map[string]string{servingv1alpha1.RevisionLabelKey: rev}},
		Spec:       corev1.PodSpec{NodeName: "node", Containers: []corev1.Container{{Name: "user-container", Image: "hello"}}},
	}
	if err := k8s.Create(ctx, pod); err != nil {
		t.Fatal(err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: podNet + "10", PodIPs: []corev1.PodIP{{IP: podNet + "10"}}}
	if err := k8s.Status().Update(ctx, pod); err != nil {
		t.Fatal(err)
	}
	svc := &corev1.Service{}
	testutil.Eventually(t, waitTimeout, "service of "+rev, func(ctx context.Context) error {
		return k8s.Get(ctx, client.ObjectKey{Namespace: ns, Name: names.Service(rev)}, svc)
	})
	es := &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: rev + "-slice", Labels: map[string]string{
			servingv1alpha1.RevisionLabelKey: rev, discoveryv1.LabelServiceName: svc.Name,
			discoveryv1.LabelManagedBy: feed.EndpointSliceControllerName,
		}, OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, corev1.SchemeGroupVersion.WithKind("Service"))}},
		AddressType: discoveryv1.AddressTypeIPv4,
		Endpoints: []discoveryv1.Endpoint{{Addresses: []string{podNet + "10"},
			Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}}},
		Ports: []discoveryv1.EndpointPort{{Name: ptr.To("http1"), Port: ptr.To(int32(port)), Protocol: ptr.To(corev1.ProtocolTCP)}},
	}
	if err := k8s.Create(ctx, es); err != nil {
		t.Fatal(err)
	}
}

// get sends a request for host through the activator.
func get(addr, method, host, path string) (int, string, error) {
	req, err := http.NewRequest(method, "http://"+addr+path, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

func expect(addr, method, host, path string, code int, body string) func(context.Context) error {
	return func(context.Context) error {
		gotCode, gotBody, err := get(addr, method, host, path)
		if err != nil {
			return err
		}
		if gotCode != code || (body != "" && gotBody != body) {
			return fmt.Errorf("%s %s%s = %d %q, want %d %q", method, host, path, gotCode, gotBody, code, body)
		}
		return nil
	}
}

func TestActivatorServesFunctionsAndRoutes(t *testing.T) {
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "wake-system"}}); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
	addr := startActivator(t)
	ns := namespace(t, "traffic")
	fn := sampleFunction(t, ns)
	if err := k8s.Create(ctx, fn); err != nil {
		t.Fatal(err)
	}
	v1 := backend(t, "v1")
	serveRevision(t, ns, "hello-00001", v1)
	fnHost := "hello." + ns + ".example.com"
	testutil.Eventually(t, waitTimeout, "function host served", expect(addr, "GET", fnHost, "/x", http.StatusOK, "v1 GET /x"))

	// The sample Route: /hello on api.example.com, GET and POST only, with a
	// tag. Under the default domain policy "claims" both hosts need a grant.
	grant := fixture.DomainGrant("traffic-"+ns, ns, "api.example.com", "latest-api.example.com")
	if err := k8s.Create(ctx, grant); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), grant) })
	rt := &servingv1alpha1.Route{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"},
		Spec: servingv1alpha1.RouteSpec{
			Hosts: []servingv1alpha1.Hostname{"api.example.com"},
			Rules: []servingv1alpha1.RouteRule{{
				Match: servingv1alpha1.RouteMatch{
					Path:    &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchPrefix, Value: "/hello"},
					Methods: []servingv1alpha1.HTTPMethod{"GET", "POST"},
				},
				Traffic: []servingv1alpha1.TrafficTarget{{FunctionName: "hello", Percent: 100, Tag: "latest"}},
			}},
		},
	}
	if err := k8s.Create(ctx, rt); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, waitTimeout, "route served", expect(addr, "POST", "api.example.com", "/hello/a", http.StatusOK, "v1 POST /hello/a"))
	for _, tt := range []struct {
		method, host, path string
		code               int
	}{
		{"GET", "latest-api.example.com", "/hello", http.StatusOK},
		{"DELETE", "api.example.com", "/hello", http.StatusMethodNotAllowed},
		{"GET", "api.example.com", "/other", http.StatusNotFound},
		{"GET", "unknown.example.com", "/", http.StatusNotFound},
	} {
		if err := expect(addr, tt.method, tt.host, tt.path, tt.code, "")(ctx); err != nil {
			t.Error(err)
		}
	}

	// A new template makes hello-00002; once it is ready, the function host
	// and the Route follow it.
	update(t, fn, func(f *servingv1alpha1.Function) { f.Spec.Template.Spec.Containers[0].Image = "wake/hello:v2" })
	v2 := backend(t, "v2")
	serveRevision(t, ns, "hello-00002", v2)
	testutil.Eventually(t, waitTimeout, "function host moves to v2", expect(addr, "GET", fnHost, "/", http.StatusOK, "v2 GET /"))
	testutil.Eventually(t, waitTimeout, "route moves to v2", expect(addr, "GET", "api.example.com", "/hello", http.StatusOK, "v2 GET /hello"))

	// Deleting the grant refuses the Route's hosts (HostsClaimed=False) and
	// the activator drops them; the Function's own host stays.
	if err := k8s.Delete(ctx, grant); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, waitTimeout, "route host dropped after its grant is deleted", expect(addr, "GET", "api.example.com", "/hello", http.StatusNotFound, ""))
	testutil.Eventually(t, waitTimeout, "tag host dropped after its grant is deleted", expect(addr, "GET", "latest-api.example.com", "/hello", http.StatusNotFound, ""))
	if err := expect(addr, "GET", fnHost, "/", http.StatusOK, "v2 GET /")(ctx); err != nil {
		t.Error(err)
	}
}
