package revision

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

func TestContainerFailure(t *testing.T) {
	tests := []struct {
		name string
		cs   corev1.ContainerStatus
		want *problem
	}{{
		name: "running",
		cs:   corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}},
	}, {
		name: "creating",
		cs:   corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}}},
	}, {
		name: "missing secret",
		cs: corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "CreateContainerConfigError", Message: `secret "creds" not found`,
		}}},
		want: &problem{"CreateContainerConfigError", `secret "creds" not found`},
	}, {
		name: "bad image name",
		cs: corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
			Reason: "InvalidImageName", Message: `Failed to apply default image tag "UPPER"`,
		}}},
		want: &problem{"InvalidImageName", `Failed to apply default image tag "UPPER"`},
	}, {
		name: "image pull error wins over an older exit",
		cs: corev1.ContainerStatus{
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull", Message: "not found"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1}},
		},
		want: &problem{"ErrImagePull", "not found"},
	}, {
		name: "out of memory",
		cs: corev1.ContainerStatus{
			Name:                 "function",
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}},
		},
		want: &problem{"OOMKilled", `container "function" exited with code 137`},
	}, {
		name: "killed by a signal, just now",
		cs: corev1.ContainerStatus{
			Name:  "function",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 139, Signal: 11, Reason: "Error", Message: "segfault"}},
		},
		want: &problem{"ExitCode139", `container "function" exited with code 139 (signal 11): segfault`},
	}, {
		name: "a server that exits cleanly still crash-loops",
		cs: corev1.ContainerStatus{
			Name:                 "function",
			State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off"}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0, Reason: "Completed"}},
		},
		want: &problem{"ExitCode0", `container "function" exited with code 0`},
	}, {
		name: "crash loop without an exit on record",
		cs: corev1.ContainerStatus{
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s"}},
		},
		want: &problem{"CrashLoopBackOff", "back-off 5m0s"},
	}, {
		name: "an earlier clean exit is no failure",
		cs: corev1.ContainerStatus{
			State:                corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 0}},
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := containerFailure(tt.cs)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(problem{})); diff != "" {
				t.Errorf("containerFailure (-want +got):\n%s", diff)
			}
		})
	}
}

func TestInspectPods(t *testing.T) {
	crashing := func(name string) corev1.Pod {
		return *pod(name, waiting("CrashLoopBackOff", ""), lastExit(2, "", name))
	}
	tests := []struct {
		name string
		pods []corev1.Pod
		want podReport
	}{{
		name: "no pods",
	}, {
		name: "the first failing pod by name is reported",
		pods: []corev1.Pod{crashing("b"), crashing("a")},
		want: podReport{failure: &problem{"ExitCode2", `container "function" exited with code 2: a`}},
	}, {
		name: "other containers are ignored",
		pods: []corev1.Pod{*pod("a", func(p *corev1.Pod) {
			p.Status.ContainerStatuses[0].Name = "istio-proxy"
			p.Status.ContainerStatuses[0].State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}
		})},
	}, {
		name: "finished and terminating pods are skipped",
		pods: []corev1.Pod{
			*pod("evicted", lastExit(137, "", ""), func(p *corev1.Pod) { p.Status.Phase = corev1.PodFailed }),
			*pod("leaving", lastExit(143, "", ""), podCondition(corev1.PodReady, corev1.ConditionTrue, "", ""),
				func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.Now()) }),
		},
	}, {
		name: "ready and unschedulable pods",
		pods: []corev1.Pod{
			*pod("a", podCondition(corev1.PodReady, corev1.ConditionTrue, "", "")),
			*pod("b", podCondition(corev1.PodScheduled, corev1.ConditionFalse, corev1.PodReasonUnschedulable, "no nodes")),
		},
		want: podReport{ready: true, unschedulable: &problem{corev1.PodReasonUnschedulable, "no nodes"}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := inspectPods(tt.pods, "function")
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(podReport{}, problem{})); diff != "" {
				t.Errorf("inspectPods (-want +got):\n%s", diff)
			}
		})
	}
}
