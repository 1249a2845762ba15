package revision

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// waitingFailures are the reasons a container waits that mean it cannot
// start without a change by the user.
var waitingFailures = map[string]bool{
	"ImagePullBackOff":           true,
	"ErrImagePull":               true,
	"ErrImageNeverPull":          true,
	"InvalidImageName":           true,
	"CreateContainerConfigError": true,
	"CreateContainerError":       true,
	"RunContainerError":          true,
}

// crashLoopBackOff is the reason a container waits between crashes.
const crashLoopBackOff = "CrashLoopBackOff"

// podReport is what a revision's pods say about it.
type podReport struct {
	// ready is true when a pod is ready.
	ready bool
	// failure is the first container failure found, if any.
	failure *problem
	// unschedulable is why a pod cannot be placed on a node, if it cannot.
	unschedulable *problem
}

// problem is a condition reason and message.
type problem struct {
	reason, message string
}

// inspectPods reports on pods, looking only at the named container. Pods
// that are terminating or finished are skipped: a pod stopped by a scale-down
// says nothing about the revision. Pods are read in name order, so the same
// pods always give the same report.
func inspectPods(pods []corev1.Pod, container string) podReport {
	pods = slices.Clone(pods)
	slices.SortFunc(pods, func(a, b corev1.Pod) int { return strings.Compare(a.Name, b.Name) })
	var rep podReport
	for i := range pods {
		p := &pods[i]
		if !p.DeletionTimestamp.IsZero() || p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
			continue
		}
		if podConditionTrue(p, corev1.PodReady) {
			rep.ready = true
		}
		if rep.unschedulable == nil {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
					rep.unschedulable = &problem{reason: c.Reason, message: c.Message}
				}
			}
		}
		if rep.failure == nil {
			for _, cs := range p.Status.ContainerStatuses {
				if cs.Name == container {
					rep.failure = containerFailure(cs)
				}
			}
		}
	}
	return rep
}

// podConditionTrue reports whether p's condition t is True.
func podConditionTrue(p *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// containerFailure returns why a container cannot run, or nil if it may:
// a waiting reason that needs the user (bad image, missing Secret), else its
// latest non-zero exit, else a crash loop.
func containerFailure(cs corev1.ContainerStatus) *problem {
	w := cs.State.Waiting
	if w != nil && waitingFailures[w.Reason] {
		return &problem{reason: w.Reason, message: w.Message}
	}
	crashLooping := w != nil && w.Reason == crashLoopBackOff
	t := cs.State.Terminated
	if t == nil {
		t = cs.LastTerminationState.Terminated
	}
	if t != nil && (t.ExitCode != 0 || crashLooping) {
		return &problem{reason: exitReason(t), message: exitMessage(cs.Name, t)}
	}
	if crashLooping {
		return &problem{reason: w.Reason, message: w.Message}
	}
	return nil
}

// exitReason names a container's exit: kubelet's reason when it says more
// than "Error" (OOMKilled, ContainerCannotRun, ...), else the exit code.
func exitReason(t *corev1.ContainerStateTerminated) string {
	if t.Reason != "" && t.Reason != "Error" && t.Reason != "Completed" {
		return t.Reason
	}
	return fmt.Sprintf("ExitCode%d", t.ExitCode)
}

// exitMessage describes a container's exit with its termination message
// (or, with FallbackToLogsOnError, the end of its log).
func exitMessage(container string, t *corev1.ContainerStateTerminated) string {
	msg := fmt.Sprintf("container %q exited with code %d", container, t.ExitCode)
	if t.Signal != 0 {
		msg += fmt.Sprintf(" (signal %d)", t.Signal)
	}
	if m := strings.TrimSpace(t.Message); m != "" {
		msg += ": " + m
	}
	return msg
}
