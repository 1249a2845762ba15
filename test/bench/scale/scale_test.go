//go:build e2e

package main

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/wakefn/wake/test/bench/internal/promtext"
)

func TestLayout(t *testing.T) {
	l := layout{id: "ab12", n: 2500, perNamespace: 1000}
	want := []string{"bench-scale-ab12-0", "bench-scale-ab12-1", "bench-scale-ab12-2"}
	if got := l.namespaces(); !reflect.DeepEqual(got, want) {
		t.Errorf("namespaces = %v, want %v", got, want)
	}
	for i, want := range map[int]string{0: "bench-scale-ab12-0/fn-00000", 999: "bench-scale-ab12-0/fn-00999", 1000: "bench-scale-ab12-1/fn-01000", 2499: "bench-scale-ab12-2/fn-02499"} {
		if got := l.key(i); got != want {
			t.Errorf("key(%d) = %s, want %s", i, got, want)
		}
	}
	if got := (layout{id: "x", n: 10000, perNamespace: 1000}).namespaces(); len(got) != 10 {
		t.Errorf("10,000 Functions in %d namespaces, want 10", len(got))
	}
}

func TestPlainIndex(t *testing.T) {
	for _, tc := range []struct {
		in string
		i  int
		ok bool
	}{
		{"plain-00", 0, true}, {"plain-49", 49, true}, {"plain-50", 0, false}, {"plain-7", 0, false},
		{"plain--1", 0, false}, {"plain-01x", 0, false}, {"other", 0, false}, {"", 0, false},
	} {
		if i, ok := plainIndex(tc.in, 50); i != tc.i || ok != tc.ok {
			t.Errorf("plainIndex(%q) = %d %v, want %d %v", tc.in, i, ok, tc.i, tc.ok)
		}
	}
}

func parse(t *testing.T, page string) []promtext.Sample {
	t.Helper()
	s, err := promtext.Parse(strings.NewReader(page), func(string) bool { return true })
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestObjectCounts(t *testing.T) {
	resource := parse(t, `apiserver_resource_objects{group="apps",resource="deployments"} 10
apiserver_resource_objects{group="",resource="pods"} 3
apiserver_storage_objects{resource="deployments.apps"} 99
`)
	want := map[string]float64{"deployments.apps": 10, "pods": 3}
	if got := objectCounts(resource); !reflect.DeepEqual(got, want) {
		t.Errorf("objectCounts = %v, want %v", got, want)
	}
	storage := parse(t, `apiserver_storage_objects{resource="deployments.apps"} 99
apiserver_storage_objects{resource="pods"} 4
`)
	want = map[string]float64{"deployments.apps": 99, "pods": 4}
	if got := objectCounts(storage); !reflect.DeepEqual(got, want) {
		t.Errorf("objectCounts (old name) = %v, want %v", got, want)
	}
}

func TestRates(t *testing.T) {
	prev := parse(t, `apiserver_request_total{verb="POST",code="201"} 100
apiserver_request_total{verb="GET",code="200"} 1000
apiserver_request_total{verb="PATCH",code="200"} 10
`)
	cur := parse(t, `apiserver_request_total{verb="POST",code="201"} 150
apiserver_request_total{verb="POST",code="409"} 10
apiserver_request_total{verb="GET",code="200"} 5000
apiserver_request_total{verb="PATCH",code="200"} 30
`)
	if got := apiWrites(cur) - apiWrites(prev); got != 80 {
		t.Errorf("writes grew by %v, want 80", got)
	}
	t0 := time.Unix(0, 0)
	if got := rate(prev, cur, t0, t0.Add(10*time.Second), "apiserver_request_total"); got != (5190.0-1110.0)/10 {
		t.Errorf("rate = %v", got)
	}
	for name, got := range map[string]float64{
		"missing page":      rate(nil, cur, t0, t0.Add(time.Second), "apiserver_request_total"),
		"counter went down": rate(cur, prev, t0, t0.Add(time.Second), "apiserver_request_total"),
		"no time":           rate(prev, cur, t0, t0, "apiserver_request_total"),
	} {
		if got != unknown {
			t.Errorf("%s: rate = %v, want unknown", name, got)
		}
	}
	if gauge(nil, "x", nil) != unknown || gauge(prev, "absent", nil) != 0 {
		t.Error("gauge of a missing page is not unknown, or of a missing metric not 0")
	}
}

func TestPodMarks(t *testing.T) {
	m := &podMarks{keyOf: func(p *corev1.Pod) string { return p.Labels["app"] }, marks: map[string]map[string]time.Time{}}
	t0 := time.Unix(100, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "a"}}}
	m.see(pod, at(10))
	pod.Spec.NodeName = "node"
	m.see(pod, at(20))
	pod.Status.PodIP = "10.0.0.1"
	m.see(pod, at(500))
	m.see(pod, at(600)) // no change: marks stay
	pod.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
	m.see(pod, at(900))
	m.see(&corev1.Pod{}, at(5)) // no member
	deleting := pod.DeepCopy()
	deleting.Labels["app"] = "b"
	deleting.DeletionTimestamp = &metav1.Time{Time: t0}
	m.see(deleting, at(1)) // a pod going away marks nothing

	got := m.since(map[string]time.Time{"a": t0, "b": t0})
	want := map[string][]float64{"pod-created": {10}, "pod-scheduled": {20}, "pod-ip": {500}, "pod-ready": {900}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("since = %v, want %v", got, want)
	}
}
