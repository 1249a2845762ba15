package feed

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/activator/throttler"
)

// TestEndpointsDropsNonPodAddresses: addresses that can never be a pod's
// (and names, from FQDN slices) never reach the throttler.
func TestEndpointsDropsNonPodAddresses(t *testing.T) {
	for _, addr := range []string{
		"127.0.0.1", "127.1.2.3", "::1", "0.0.0.0", "::", "169.254.169.254", "fe80::1", "fe80::1%eth0",
		"224.0.0.1", "ff02::1", "255.255.255.255", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
		"kubernetes.default.svc", "localhost", "", "10.0.0.1:80", "10.0.0.1/8", " 10.0.0.1",
	} {
		t.Run(addr, func(t *testing.T) {
			got := Endpoints([]*discoveryv1.EndpointSlice{slice(8080, ep(addr, true, false), ep("10.0.0.1", true, false))}, nil)
			want := []throttler.Endpoint{{Address: "10.0.0.1:8080", Ready: true}}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Endpoints with %q (-want +got):\n%s", addr, diff)
			}
		})
	}
}

func TestPodAddress(t *testing.T) {
	for _, tt := range []struct {
		addr string
		want bool
	}{
		{"10.244.1.7", true},
		{"192.168.0.9", true},
		{"100.64.0.1", true},
		{"fd00::1", true},
		{"2001:db8::1", true},
		{"::ffff:10.0.0.1", true},
		{"127.0.0.1", false},
		{"::1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"169.254.0.1", false},
		{"fe80::1", false},
		{"224.0.0.251", false},
		{"ff02::1", false},
		{"255.255.255.255", false},
		{"fd00::1%eth0", false},
		{"example.com", false},
		{"", false},
	} {
		if got := PodAddress(tt.addr); got != tt.want {
			t.Errorf("PodAddress(%q) = %v, want %v", tt.addr, got, tt.want)
		}
	}
}

// TestSliceRefusal: a slice is used only when it belongs to the Service that
// Wake made for the revision.
func TestSliceRefusal(t *testing.T) {
	rev := &servingv1alpha1.Revision{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "hello-00001", UID: "rev-uid"},
		Spec:       servingv1alpha1.RevisionSpec{Containers: []servingv1alpha1.Container{{Image: "x"}}},
	}
	wakeSvc := func() *corev1.Service {
		s := resources.MakeService(rev)
		s.UID = "svc-uid"
		return s
	}
	genuine := func() *discoveryv1.EndpointSlice { return genuineSlice(wakeSvc(), "hello-00001-abcde") }
	tests := []struct {
		name  string
		slice func(*discoveryv1.EndpointSlice)
		svc   func(*corev1.Service) *corev1.Service
		want  string
	}{
		{name: "genuine"},
		{name: "no service-name label", slice: func(s *discoveryv1.EndpointSlice) { delete(s.Labels, discoveryv1.LabelServiceName) }, want: RefusedServiceName},
		{name: "another service's name", slice: func(s *discoveryv1.EndpointSlice) { s.Labels[discoveryv1.LabelServiceName] = "other" }, want: RefusedServiceName},
		{name: "not managed", slice: func(s *discoveryv1.EndpointSlice) { delete(s.Labels, discoveryv1.LabelManagedBy) }, want: RefusedManagedBy},
		{name: "managed by the mirroring controller", slice: func(s *discoveryv1.EndpointSlice) {
			s.Labels[discoveryv1.LabelManagedBy] = "endpointslicemirroring-controller.k8s.io"
		}, want: RefusedManagedBy},
		{name: "no owner", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences = nil }, want: RefusedSliceOwner},
		{name: "owner is not controller", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences[0].Controller = nil }, want: RefusedSliceOwner},
		{name: "owner UID differs", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences[0].UID = "other" }, want: RefusedSliceOwner},
		{name: "owner kind differs", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences[0].Kind = "Pod" }, want: RefusedSliceOwner},
		{name: "owner in another API group", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences[0].APIVersion = "evil.example/v1" }, want: RefusedSliceOwner},
		{name: "owner with a bad apiVersion", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences[0].APIVersion = "a/b/c" }, want: RefusedSliceOwner},
		{name: "owner name differs", slice: func(s *discoveryv1.EndpointSlice) { s.OwnerReferences[0].Name = "other" }, want: RefusedSliceOwner},
		{name: "slice in another namespace", slice: func(s *discoveryv1.EndpointSlice) { s.Namespace = "evil" }, want: RefusedNoService},
		{name: "no service", svc: func(*corev1.Service) *corev1.Service { return nil }, want: RefusedNoService},
		{name: "service of another name", svc: func(s *corev1.Service) *corev1.Service { s.Name = "other"; return s }, want: RefusedNoService},
		{name: "service not owned", svc: func(s *corev1.Service) *corev1.Service { s.OwnerReferences = nil; return s }, want: RefusedServiceOwner},
		{name: "service owned by another revision UID", svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences[0].UID = "old-rev"
			return s
		}, want: RefusedServiceOwner},
		{name: "service owned by a Revision of a later API version", svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences[0].APIVersion = "serving.wake.dev/v1"
			return s
		}},
		{name: "service owned by a Revision of another group", svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences[0].APIVersion = "serving.knative.dev/v1"
			return s
		}, want: RefusedServiceOwner},
		{name: "service owned by a Function", svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences[0].Kind = "Function"
			return s
		}, want: RefusedServiceOwner},
		{name: "service owner is not controller", svc: func(s *corev1.Service) *corev1.Service {
			s.OwnerReferences[0].Controller = nil
			return s
		}, want: RefusedServiceOwner},
		{name: "service without UID", svc: func(s *corev1.Service) *corev1.Service { s.UID = ""; return s }, want: RefusedSliceOwner},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, svc := genuine(), wakeSvc()
			if tt.slice != nil {
				tt.slice(s)
			}
			if tt.svc != nil {
				svc = tt.svc(svc)
			}
			if got := SliceRefusal(s, svc, rev); got != tt.want {
				t.Errorf("SliceRefusal = %q, want %q", got, tt.want)
			}
			// The activator's cache holds them stripped (strip.go).
			var strippedSvc *corev1.Service
			if svc != nil {
				strippedSvc = stripped(t, stripService, svc)
			}
			if got := SliceRefusal(s, strippedSvc, stripped(t, stripRevision, rev)); got != tt.want {
				t.Errorf("SliceRefusal of the stripped objects = %q, want %q", got, tt.want)
			}
		})
	}
}

// TestEndpointsOnlyPodIPs: given the revision's pod IPs, an address no pod
// holds is dropped, even from a slice that passes SliceRefusal.
func TestEndpointsOnlyPodIPs(t *testing.T) {
	s := slice(8080, ep("10.0.0.1", true, false), ep("10.0.0.2", false, false), ep("10.96.0.1", true, false))
	got := Endpoints([]*discoveryv1.EndpointSlice{s}, map[string]bool{"10.0.0.1": true, "10.0.0.2": true})
	want := []throttler.Endpoint{{Address: "10.0.0.1:8080", Ready: true}, {Address: "10.0.0.2:8080"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Endpoints (-want +got):\n%s", diff)
	}
}

func TestPodIPs(t *testing.T) {
	p := func(phase corev1.PodPhase, hostNetwork, deleting bool, ips ...string) corev1.Pod {
		pod := corev1.Pod{Spec: corev1.PodSpec{HostNetwork: hostNetwork}, Status: corev1.PodStatus{Phase: phase}}
		if deleting {
			pod.DeletionTimestamp = &metav1.Time{}
		}
		for _, ip := range ips {
			pod.Status.PodIPs = append(pod.Status.PodIPs, corev1.PodIP{IP: ip})
		}
		return pod
	}
	got := PodIPs([]corev1.Pod{
		p(corev1.PodRunning, false, false, "10.0.0.1", "fd00::1"),
		p(corev1.PodPending, false, false, "10.0.0.2"),
		p(corev1.PodPending, false, false),
		p(corev1.PodRunning, true, false, "192.168.1.10"), // host network: the node's IP
		p(corev1.PodSucceeded, false, false, "10.0.0.3"),  // finished: its IP may be reused
		p(corev1.PodFailed, false, false, "10.0.0.4"),
		p(corev1.PodRunning, false, true, "10.0.0.5"), // being deleted: still holds its IP
	})
	want := map[string]bool{"10.0.0.1": true, "fd00::1": true, "10.0.0.2": true, "10.0.0.5": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PodIPs (-want +got):\n%s", diff)
	}
}

// TestStripPod: the cache keeps of a pod only what PodIPs and the sync read.
func TestStripPod(t *testing.T) {
	in := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "u", ResourceVersion: "7",
			Labels: map[string]string{servingv1alpha1.RevisionLabelKey: "r"}, Annotations: map[string]string{"big": "x"}},
		Spec:   corev1.PodSpec{HostNetwork: true, Containers: []corev1.Container{{Name: "c", Image: "i"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}, Message: "m"},
	}
	got, err := stripPod(in)
	if err != nil {
		t.Fatal(err)
	}
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "u", ResourceVersion: "7",
			Labels: map[string]string{servingv1alpha1.RevisionLabelKey: "r"}},
		Spec:   corev1.PodSpec{HostNetwork: true},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIPs: []corev1.PodIP{{IP: "10.0.0.1"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stripPod (-want +got):\n%s", diff)
	}
	if o, _ := stripPod("tombstone"); o != "tombstone" {
		t.Errorf("stripPod changed a non-pod: %v", o)
	}
}

func TestPodIPsChanged(t *testing.T) {
	base := func() *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{servingv1alpha1.RevisionLabelKey: "r"}},
			Status: corev1.PodStatus{Phase: corev1.PodPending}}
	}
	for _, tt := range []struct {
		name   string
		change func(*corev1.Pod)
		want   bool
	}{
		{"nothing", func(*corev1.Pod) {}, false},
		{"resource version only", func(p *corev1.Pod) { p.ResourceVersion = "9" }, false},
		{"ip assigned", func(p *corev1.Pod) { p.Status.PodIPs = []corev1.PodIP{{IP: "10.0.0.1"}} }, true},
		{"phase", func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }, true},
		{"host network", func(p *corev1.Pod) { p.Spec.HostNetwork = true }, true},
		{"revision label", func(p *corev1.Pod) { p.Labels[servingv1alpha1.RevisionLabelKey] = "other" }, true},
	} {
		cur := base()
		tt.change(cur)
		if got := podIPsChanged(base(), cur); got != tt.want {
			t.Errorf("%s: podIPsChanged = %v, want %v", tt.name, got, tt.want)
		}
	}
}
