package kubectlwake

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// t0 is the test pods' creation.
var t0 = time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)

// at is t0 plus sec seconds.
func at(sec int) metav1.Time { return metav1.NewTime(t0.Add(time.Duration(sec) * time.Second)) }

// startedPod is a pod of hello-00001 created at t0 + created with the
// conditions conds (type → seconds after t0) and its container running
// from t0 + started (waiting with reason waiting when started < 0).
func startedPod(name string, created int, conds map[corev1.PodConditionType]int, started int, waiting string) corev1.Pod {
	p := corev1.Pod{ObjectMeta: metav1.ObjectMeta{
		Name: name, CreationTimestamp: at(created),
		Labels: map[string]string{servingv1alpha1.RevisionLabelKey: "hello-00001"},
	}}
	for typ, sec := range conds {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: typ, Status: corev1.ConditionTrue, LastTransitionTime: at(sec)})
	}
	cs := corev1.ContainerStatus{Name: "function"}
	if started >= 0 {
		cs.State.Running = &corev1.ContainerStateRunning{StartedAt: at(started)}
	} else {
		cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: waiting}
	}
	p.Status.ContainerStatuses = []corev1.ContainerStatus{cs}
	return p
}

// all is every mark of a pod started in 8 s.
var all = map[corev1.PodConditionType]int{
	corev1.PodScheduled: 1, corev1.PodInitialized: 1, corev1.PodReadyToStartContainers: 3,
	corev1.ContainersReady: 8, corev1.PodReady: 8,
}

func TestColdStartOf(t *testing.T) {
	tests := []struct {
		name     string
		pod      corev1.Pod
		siblings []corev1.Pod
		scaled   time.Time
		// took is each phase's seconds, -1 for one not reached.
		took     map[string]int64
		total    int64
		waiting  string
		scaleOut bool
	}{{
		name:   "woken from zero",
		pod:    startedPod("p", 0, all, 5, ""),
		scaled: t0.Add(-2 * time.Second),
		took:   map[string]int64{"scale-up": 2, "schedule": 1, "admit": 0, "sandbox": 2, "start": 2, "app-ready": 3, "ready": 0},
		total:  10,
	}, {
		name:   "the event in the same second, after the pod: 0",
		pod:    startedPod("p", 0, all, 5, ""),
		scaled: t0.Add(time.Second),
		took:   map[string]int64{"scale-up": 0, "schedule": 0, "admit": 0, "sandbox": 2, "start": 2, "app-ready": 3, "ready": 0},
		total:  7,
	}, {
		name: "no sandbox condition: its time goes to start",
		pod: startedPod("p", 0, map[corev1.PodConditionType]int{
			corev1.PodScheduled: 0, corev1.PodInitialized: 1, corev1.ContainersReady: 6, corev1.PodReady: 6,
		}, 4, ""),
		took:  map[string]int64{"schedule": 0, "admit": 1, "start": 3, "app-ready": 2, "ready": 0},
		total: 6,
	}, {
		name: "a mark before the previous one: 0",
		pod: startedPod("p", 0, map[corev1.PodConditionType]int{
			corev1.PodScheduled: 0, corev1.PodInitialized: 3, corev1.PodReadyToStartContainers: 2, corev1.ContainersReady: 5, corev1.PodReady: 5,
		}, 4, ""),
		took:  map[string]int64{"schedule": 0, "admit": 3, "sandbox": 0, "start": 1, "app-ready": 1, "ready": 0},
		total: 5,
	}, {
		name: "still pulling its image",
		pod: startedPod("p", 0, map[corev1.PodConditionType]int{
			corev1.PodScheduled: 0, corev1.PodInitialized: 1, corev1.PodReadyToStartContainers: 2,
		}, -1, "ErrImagePull"),
		scaled:  t0,
		took:    map[string]int64{"scale-up": 0, "schedule": 0, "admit": 1, "sandbox": 1, "start": -1, "app-ready": -1, "ready": -1},
		total:   2,
		waiting: "container started",
	}, {
		name:     "a scale-out: no scale-up phase",
		pod:      startedPod("p2", 60, map[corev1.PodConditionType]int{corev1.PodScheduled: 60, corev1.PodInitialized: 60, corev1.ContainersReady: 63, corev1.PodReady: 63}, 62, ""),
		siblings: []corev1.Pod{startedPod("p1", 0, all, 5, "")},
		scaled:   t0.Add(-2 * time.Second),
		took:     map[string]int64{"schedule": 0, "admit": 0, "start": 2, "app-ready": 1, "ready": 0},
		total:    3,
		scaleOut: true,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			from := ""
			if !tt.scaled.IsZero() {
				from = "test"
			}
			siblings := append([]corev1.Pod{tt.pod}, tt.siblings...)
			cs := ColdStartOf(&tt.pod, siblings, tt.scaled, from, "function")
			took := map[string]int64{}
			for _, p := range cs.Phases {
				took[p.Name] = -1
				if p.Seconds != nil {
					took[p.Name] = *p.Seconds
				}
			}
			if diff := cmp.Diff(tt.took, took); diff != "" {
				t.Errorf("phases (-want +got):\n%s", diff)
			}
			if cs.TotalSeconds != tt.total || cs.Waiting != tt.waiting || cs.ScaleOut != tt.scaleOut {
				t.Errorf("total %d, waiting %q, scale-out %v; want %d, %q, %v", cs.TotalSeconds, cs.Waiting, cs.ScaleOut, tt.total, tt.waiting, tt.scaleOut)
			}
			if cs.Revision != "hello-00001" {
				t.Errorf("revision %q", cs.Revision)
			}
		})
	}
}

func TestLastScaleFromZero(t *testing.T) {
	ev := func(msg string, first, last int) corev1.Event {
		return corev1.Event{Reason: "ScalingReplicaSet", Message: msg, FirstTimestamp: at(first), LastTimestamp: at(last)}
	}
	tests := []struct {
		name   string
		events []corev1.Event
		want   time.Time // zero: none
	}{
		{"one", []corev1.Event{ev("Scaled up replica set h-1 from 0 to 1", -3, -3)}, at(-3).Time},
		{"the latest before the pod", []corev1.Event{
			ev("Scaled up replica set h-1 from 0 to 1", -300, -300), ev("Scaled up replica set h-1 from 0 to 2", -4, -4),
		}, at(-4).Time},
		{"a repeated event: its last time", []corev1.Event{ev("Scaled up replica set h-1 from 0 to 1", -500, -5)}, at(-5).Time},
		{"a repeated event last seen after the pod: its first time", []corev1.Event{ev("Scaled up replica set h-1 from 0 to 1", -5, 90)}, at(-5).Time},
		{"scale-ups from one and scale-downs do not count", []corev1.Event{
			ev("Scaled up replica set h-1 from 1 to 2", -3, -3), ev("Scaled down replica set h-1 from 1 to 0", -2, -2),
		}, time.Time{}},
		{"older than the window", []corev1.Event{ev("Scaled up replica set h-1 from 0 to 1", -601, -601)}, time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := lastScaleFromZero(tt.events, t0)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("got %v, %v; want %v", got, ok, tt.want)
			}
		})
	}
}
