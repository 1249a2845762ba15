//go:build e2e

package main

import (
	"context"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/watch"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/test/bench/internal/coldlane"
)

// Pod phases, in the order a pod goes through them.
var podPhases = []string{"pod-created", "pod-scheduled", "pod-ip", "pod-ready"}

// podMarks records, per lane member, when this client first saw a pod of
// it created, scheduled to the node, with an IP, and Ready: where a lane's
// time goes, on the way every pod takes.
type podMarks struct {
	keyOf func(*corev1.Pod) string
	mu    sync.Mutex
	marks map[string]map[string]time.Time
}

// watchPods watches the pods of namespaces until ctx ends; keyOf names the
// lane member a pod belongs to ("" for none).
func watchPods(ctx context.Context, c client.WithWatch, namespaces []string, keyOf func(*corev1.Pod) string) *podMarks {
	m := &podMarks{keyOf: keyOf, marks: map[string]map[string]time.Time{}}
	for _, ns := range namespaces {
		w, err := c.Watch(ctx, &corev1.PodList{}, client.InNamespace(ns))
		if err != nil {
			warn(ctx, "watch pods in %s: %v", ns, err)
			continue
		}
		go func() {
			defer w.Stop()
			for ev := range w.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Deleted {
					m.see(p, time.Now())
				}
			}
		}()
	}
	return m
}

func (m *podMarks) see(p *corev1.Pod, now time.Time) {
	key := m.keyOf(p)
	if key == "" || p.DeletionTimestamp != nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	seen := m.marks[key]
	if seen == nil {
		seen = map[string]time.Time{}
		m.marks[key] = seen
	}
	mark := func(phase string, reached bool) {
		if _, ok := seen[phase]; reached && !ok {
			seen[phase] = now
		}
	}
	mark("pod-created", true)
	mark("pod-scheduled", p.Spec.NodeName != "")
	mark("pod-ip", p.Status.PodIP != "")
	ready := false
	for _, c := range p.Status.Conditions {
		ready = ready || (c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue)
	}
	mark("pod-ready", ready)
}

// since returns, per phase, the time from started[key] to the member's
// mark, in milliseconds, for every member that reached it.
func (m *podMarks) since(started map[string]time.Time) map[string][]float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string][]float64{}
	for key, start := range started {
		for phase, t := range m.marks[key] {
			out[phase] = append(out[phase], coldlane.Ms(t.Sub(start)))
		}
	}
	return out
}
