package feed

import (
	"context"
	"fmt"
	"maps"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// recordingThrottler keeps the last endpoints the Watcher set per revision.
type recordingThrottler struct {
	mu  sync.Mutex
	eps map[throttler.RevisionKey][]throttler.Endpoint
}

func (r *recordingThrottler) UpsertRevision(throttler.RevisionKey, throttler.RevisionConfig) {}
func (r *recordingThrottler) DeleteRevision(throttler.RevisionKey)                           {}
func (r *recordingThrottler) SetEndpoints(key throttler.RevisionKey, eps []throttler.Endpoint) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.eps[key] = eps
}

// get returns the last endpoints set for key, and whether any were set.
func (r *recordingThrottler) get(key throttler.RevisionKey) ([]throttler.Endpoint, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	eps, ok := r.eps[key]
	return eps, ok
}

// refusalCounts counts the Watcher's OnSliceRefused calls by reason.
type refusalCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *refusalCounts) add(reason string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n[reason]++
}

func (r *refusalCounts) get() map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return maps.Clone(r.n)
}

// sliceCase is one revision of TestWatcherTrustsOnlyWakeSlices: its
// Service (as made, then changed by svc) and its slices, created in order.
type sliceCase struct {
	name string
	// svc changes the Service that Wake made for the revision; nil leaves
	// it as made, and a nil result creates no Service.
	svc func(s *corev1.Service) *corev1.Service
	// slices returns the slices to create, given the revision's Service.
	slices func(svc *corev1.Service) []*discoveryv1.EndpointSlice
	want   []throttler.Endpoint
}

// genuineSlice returns a slice as Kubernetes' EndpointSlice controller
// makes it for svc: labelled with the Service's name and labels, managed by
// the controller, controlled by the Service, listing pods.
func genuineSlice(svc *corev1.Service, name string, eps ...discoveryv1.Endpoint) *discoveryv1.EndpointSlice {
	labels := map[string]string{
		discoveryv1.LabelServiceName: svc.Name,
		discoveryv1.LabelManagedBy:   "endpointslice-controller.k8s.io",
	}
	for k, v := range svc.Labels {
		labels[k] = v
	}
	return &discoveryv1.EndpointSlice{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: svc.Namespace, Name: name, Labels: labels,
			OwnerReferences: []metav1.OwnerReference{*metav1.NewControllerRef(svc, corev1.SchemeGroupVersion.WithKind("Service"))},
		},
		AddressType: discoveryv1.AddressTypeIPv4,
		Ports:       []discoveryv1.EndpointPort{{Name: ptr.To("http1"), Port: ptr.To[int32](8080), Protocol: ptr.To(corev1.ProtocolTCP)}},
		Endpoints:   eps,
	}
}

// podEP is a ready endpoint for a pod of the namespace.
func podEP(ip string) discoveryv1.Endpoint {
	return discoveryv1.Endpoint{
		Addresses:  []string{ip},
		Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)},
		TargetRef:  &corev1.ObjectReference{Kind: "Pod", Name: "p-" + ip},
	}
}

func mutateSlice(s *discoveryv1.EndpointSlice, f func(*discoveryv1.EndpointSlice)) *discoveryv1.EndpointSlice {
	f(s)
	return s
}

// createPod creates a running pod of rev that holds ip, as the scheduler
// and kubelet would.
func createPod(t *testing.T, c client.Client, rev *servingv1alpha1.Revision, ip string) {
	t.Helper()
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: rev.Namespace, Name: rev.Name + "-pod",
			Labels: map[string]string{servingv1alpha1.RevisionLabelKey: rev.Name}},
		Spec: corev1.PodSpec{NodeName: "node", Containers: []corev1.Container{{Name: "user-container", Image: "registry.example/hello:v1"}}},
	}
	if err := c.Create(context.Background(), pod); err != nil {
		t.Fatalf("create pod: %v", err)
	}
	pod.Status = corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip, PodIPs: []corev1.PodIP{{IP: ip}}}
	if err := c.Status().Update(context.Background(), pod); err != nil {
		t.Fatalf("pod status: %v", err)
	}
}

// TestWatcherTrustsOnlyWakeSlices runs the Watcher against a real API server
// (envtest) and checks which EndpointSlices reach the throttler: only those
// of the Service that Wake made for the revision, and only pod addresses.
func TestWatcherTrustsOnlyWakeSlices(t *testing.T) {
	logf.SetLogger(logr.Discard()) // the cache's own logs
	env, c := testenv.StartT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	apiCache, err := NewCache(env.Config, env.Scheme)
	if err != nil {
		t.Fatal(err)
	}
	th := &recordingThrottler{eps: map[throttler.RevisionKey][]throttler.Endpoint{}}
	refused := &refusalCounts{n: map[string]int{}}
	w := &Watcher{Cache: apiCache, Table: &routing.Holder{}, Throttler: th, Config: config.NewStore(), Log: testr.New(t),
		OnSliceRefused: refused.add}
	done := make(chan struct{}, 2)
	go func() { _ = apiCache.Start(ctx); done <- struct{}{} }()
	go func() { _ = w.Start(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	ns := testenv.Namespace(t, c, "eps")
	good := []throttler.Endpoint{{Address: "10.1.0.1:8080", Ready: true}}
	tests := []sliceCase{{
		name: "genuine slice is used",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{genuineSlice(svc, "a", podEP("10.1.0.1"))}
		},
		want: good,
	}, {
		name: "slice with only the revision label is ignored",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{
				mutateSlice(genuineSlice(svc, "forged", podEP("10.9.0.1")), func(s *discoveryv1.EndpointSlice) {
					s.OwnerReferences = nil
					delete(s.Labels, discoveryv1.LabelServiceName)
					delete(s.Labels, discoveryv1.LabelManagedBy)
				}),
				genuineSlice(svc, "a", podEP("10.1.0.1")),
			}
		},
		want: good,
	}, {
		name: "slice naming another Service is ignored",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{
				mutateSlice(genuineSlice(svc, "forged", podEP("10.9.0.1")), func(s *discoveryv1.EndpointSlice) {
					s.Labels[discoveryv1.LabelServiceName] = "tenant-svc"
				}),
				genuineSlice(svc, "a", podEP("10.1.0.1")),
			}
		},
		want: good,
	}, {
		name: "slice not managed by the EndpointSlice controller is ignored",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{
				mutateSlice(genuineSlice(svc, "forged", podEP("10.9.0.1")), func(s *discoveryv1.EndpointSlice) {
					s.Labels[discoveryv1.LabelManagedBy] = "tenant"
				}),
				genuineSlice(svc, "a", podEP("10.1.0.1")),
			}
		},
		want: good,
	}, {
		name: "slice with every label but no owner is ignored",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{
				mutateSlice(genuineSlice(svc, "forged", podEP("10.9.0.1")), func(s *discoveryv1.EndpointSlice) { s.OwnerReferences = nil }),
				genuineSlice(svc, "a", podEP("10.1.0.1")),
			}
		},
		want: good,
	}, {
		name: "slice controlled by a Service of the same name but another UID is ignored",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{
				mutateSlice(genuineSlice(svc, "forged", podEP("10.9.0.1")), func(s *discoveryv1.EndpointSlice) {
					s.OwnerReferences[0].UID = "00000000-0000-4000-8000-000000000000"
				}),
				genuineSlice(svc, "a", podEP("10.1.0.1")),
			}
		},
		want: good,
	}, {
		name: "slice forged with every label and the Service as owner: addresses no pod holds are dropped",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{
				genuineSlice(svc, "forged", podEP("10.9.0.1"), podEP("10.96.0.1")),
				genuineSlice(svc, "a", podEP("10.1.0.1")),
			}
		},
		want: good,
	}, {
		name: "Service not controlled by the Revision: its slices are ignored",
		svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences = nil
			return s
		},
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{genuineSlice(svc, "a", podEP("10.9.0.1"))}
		},
	}, {
		name: "Service controlled by an older Revision of the same name: its slices are ignored",
		svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences[0].UID = "00000000-0000-4000-8000-000000000000"
			return s
		},
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{genuineSlice(svc, "a", podEP("10.9.0.1"))}
		},
	}, {
		name: "no Service: slices are ignored",
		svc:  func(*corev1.Service) *corev1.Service { return nil },
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{genuineSlice(svc, "a", podEP("10.9.0.1"))}
		},
	}, {
		name: "addresses that are never pods are dropped",
		slices: func(svc *corev1.Service) []*discoveryv1.EndpointSlice {
			return []*discoveryv1.EndpointSlice{genuineSlice(svc, "a",
				// The API server itself refuses loopback, unspecified and
				// link-local addresses (TestEndpointsDropsNonPodAddresses
				// covers them); these it lets through.
				podEP("224.1.0.1"), podEP("239.255.255.250"), podEP("255.255.255.255"),
				podEP("10.1.0.1"))}
		},
		want: good,
	}}

	revs := make([]*servingv1alpha1.Revision, len(tests))
	for i, tt := range tests {
		rev := &servingv1alpha1.Revision{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("f%d-00001", i),
				Labels: map[string]string{servingv1alpha1.FunctionLabelKey: fmt.Sprintf("f%d", i)}},
			Spec: servingv1alpha1.RevisionSpec{Containers: []servingv1alpha1.Container{{Image: "registry.example/hello:v1"}}, TimeoutSeconds: 30},
		}
		if err := c.Create(ctx, rev); err != nil {
			t.Fatalf("%s: create revision: %v", tt.name, err)
		}
		revs[i] = rev
		svc := resources.MakeService(rev)
		if tt.svc != nil {
			if s := tt.svc(svc.DeepCopy()); s != nil {
				if err := c.Create(ctx, s); err != nil {
					t.Fatalf("%s: create service: %v", tt.name, err)
				}
				svc = s
			} else {
				svc.UID = "00000000-0000-4000-8000-00000000dead" // a Service deleted since
			}
		} else if err := c.Create(ctx, svc); err != nil {
			t.Fatalf("%s: create service: %v", tt.name, err)
		}
		createPod(t, c, rev, "10.1.0.1")
		for _, s := range tt.slices(svc) {
			s.Name = rev.Name + "-" + s.Name
			if err := c.Create(ctx, s); err != nil {
				t.Fatalf("%s: create slice %s: %v", tt.name, s.Name, err)
			}
		}
	}
	// A last genuine slice: once it has reached the throttler, the
	// Watcher has seen every object created before it.
	barrier := &servingv1alpha1.Revision{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "barrier-00001"},
		Spec:       servingv1alpha1.RevisionSpec{Containers: []servingv1alpha1.Container{{Image: "registry.example/hello:v1"}}, TimeoutSeconds: 30},
	}
	if err := c.Create(ctx, barrier); err != nil {
		t.Fatal(err)
	}
	barrierSvc := resources.MakeService(barrier)
	if err := c.Create(ctx, barrierSvc); err != nil {
		t.Fatal(err)
	}
	createPod(t, c, barrier, "10.2.0.1")
	if err := c.Create(ctx, genuineSlice(barrierSvc, "barrier-00001-a", podEP("10.2.0.1"))); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "barrier endpoints", func(context.Context) error {
		if eps, _ := th.get(types.NamespacedName{Namespace: ns, Name: barrier.Name}); len(eps) != 1 {
			return fmt.Errorf("barrier endpoints %v", eps)
		}
		return nil
	})

	// The slices were all seen before the barrier's; their Services may
	// reach the Watcher a little later, hence the polling.
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := types.NamespacedName{Namespace: ns, Name: revs[i].Name}
			testutil.Eventually(t, testenv.Timeout, "endpoints of "+key.String(), func(context.Context) error {
				got, _ := th.get(key)
				if len(got) == 0 {
					got = nil
				}
				if diff := cmp.Diff(tt.want, got); diff != "" {
					return fmt.Errorf("(-want +got):\n%s", diff)
				}
				return nil
			})
		})
	}
	// A slice may reach the Watcher before its pod's IP does (a cold
	// start): the endpoint is used as soon as the pod holds the IP.
	t.Run("pod IP after its slice", func(t *testing.T) {
		late := &servingv1alpha1.Revision{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late-00001"},
			Spec:       servingv1alpha1.RevisionSpec{Containers: []servingv1alpha1.Container{{Image: "registry.example/hello:v1"}}, TimeoutSeconds: 30},
		}
		if err := c.Create(ctx, late); err != nil {
			t.Fatal(err)
		}
		svc := resources.MakeService(late)
		if err := c.Create(ctx, svc); err != nil {
			t.Fatal(err)
		}
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "late-pod", Labels: map[string]string{servingv1alpha1.RevisionLabelKey: late.Name}},
			Spec:       corev1.PodSpec{NodeName: "node", Containers: []corev1.Container{{Name: "user-container", Image: "registry.example/hello:v1"}}},
		}
		if err := c.Create(ctx, pod); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(ctx, genuineSlice(svc, "late-00001-a", podEP("10.3.0.1"))); err != nil {
			t.Fatal(err)
		}
		key := types.NamespacedName{Namespace: ns, Name: late.Name}
		testutil.Eventually(t, testenv.Timeout, "slice seen, endpoint held back", func(context.Context) error {
			if eps, ok := th.get(key); !ok || len(eps) != 0 {
				return fmt.Errorf("endpoints %v (set: %v)", eps, ok)
			}
			return nil
		})
		pod.Status = corev1.PodStatus{Phase: corev1.PodPending, PodIPs: []corev1.PodIP{{IP: "10.3.0.1"}}}
		if err := c.Status().Update(ctx, pod); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(t, testenv.Timeout, "endpoint used once the pod holds the IP", func(context.Context) error {
			want := []throttler.Endpoint{{Address: "10.3.0.1:8080", Ready: true}}
			if got, _ := th.get(key); !cmp.Equal(want, got) {
				return fmt.Errorf("endpoints %v, want %v", got, want)
			}
			return nil
		})
	})

	// Each refused slice is counted once, however often its revision was
	// synced; a missing Service is not counted (it is what a slice sees
	// that reaches the cache before its Service). A genuine slice may be
	// counted as not-a-pod when it reached the cache before its pod's IP,
	// so that count is at least the forged slice's and the late pod's.
	wantRefused := map[string]int{RefusedServiceName: 2, RefusedManagedBy: 1, RefusedSliceOwner: 2, RefusedServiceOwner: 2, RefusedAddress: 1, RefusedNotPod: 2}
	testutil.Eventually(t, testenv.Timeout, "refusals counted", func(context.Context) error {
		got := refused.get()
		if got[RefusedNotPod] > 2 {
			got[RefusedNotPod] = 2
		}
		if diff := cmp.Diff(wantRefused, got); diff != "" {
			return fmt.Errorf("refusals (-want +got):\n%s", diff)
		}
		return nil
	})
}
