package coldlane

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"
)

func TestServerTiming(t *testing.T) {
	got := ServerTiming([]string{
		"wake-ready;dur=12.5, other;dur=3",
		"wake-slot;desc=\"x\";dur=0.25,wake-endpoint;dur=bad, wake-proxy",
	})
	want := map[string]float64{"wake-ready": 12.5, "wake-slot": 0.25}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ServerTiming = %v, want %v", got, want)
	}
}

func TestColdStartMs(t *testing.T) {
	for _, tc := range []struct {
		v    string
		want int
		ok   bool
	}{{"512", 512, true}, {"0", 0, true}, {"", 0, false}, {"-3", -3, false}, {"x", 0, false}} {
		h := http.Header{}
		if tc.v != "" {
			h.Set("Wake-Cold-Start", tc.v)
		}
		if got, ok := ColdStartMs(h); got != tc.want || ok != tc.ok {
			t.Errorf("ColdStartMs(%q) = %d %v, want %d %v", tc.v, got, ok, tc.want, tc.ok)
		}
	}
}

func TestReadyAddress(t *testing.T) {
	es := &discoveryv1.EndpointSlice{Endpoints: []discoveryv1.Endpoint{
		{Addresses: []string{"10.0.0.1"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(false)}},
		{Addresses: []string{"10.0.0.2"}},
		{Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
		{Addresses: []string{"10.0.0.4"}, Conditions: discoveryv1.EndpointConditions{Ready: ptr.To(true)}},
	}}
	if ip, ok := ReadyAddress(es); !ok || ip != "10.0.0.4" {
		t.Errorf("ReadyAddress = %q %v, want 10.0.0.4", ip, ok)
	}
	if _, ok := ReadyAddress(&discoveryv1.EndpointSlice{}); ok {
		t.Error("ReadyAddress found an address in an empty slice")
	}
}

func TestActivatorGet(t *testing.T) {
	var gotHost string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotHost = r.Host
		w.Header().Set("Wake-Cold-Start", "7")
		_, _ = w.Write([]byte(strings.Repeat("x", maxBody+10)))
	}))
	defer srv.Close()
	host, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	c := fake.NewClientBuilder().WithObjects(
		&corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: systemNamespace, Name: "wake-activator"}, Spec: corev1.ServiceSpec{ClusterIP: host}},
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: systemNamespace, Name: "wake-config"}, Data: map[string]string{"domain": "example.com"}},
	).Build()
	a, err := FindActivator(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	a.Addr = net.JoinHostPort(host, port) // the Service's port 80 stands for the test server's
	resp, err := a.Get(context.Background(), a.Host("ns", "fn"), 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if gotHost != "fn.ns.example.com" || resp.Code != http.StatusOK || len(resp.Body) != maxBody {
		t.Errorf("host %q, code %d, body %d bytes; want fn.ns.example.com, 200, %d", gotHost, resp.Code, len(resp.Body), maxBody)
	}
	if ms, ok := ColdStartMs(resp.Header); !ok || ms != 7 {
		t.Errorf("cold start header %d %v", ms, ok)
	}
}
