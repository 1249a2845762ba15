//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
)

// controllerCmd is argv[0] of the controller's process in its image.
const controllerCmd = "/ko-app/controller"

// podProcess finds, in the host's /proc (the local cluster runs its
// containers on this host, and the e2e suite runs as root), the process
// whose argv[0] is cmd (the activator's listener keeper excepted, see
// isCommand) and whose cgroup is the pod's with that UID.
func podProcess(podUID, cmd string) (int, error) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, err
	}
	var found []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		argv, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !isCommand(argv, cmd) || podUIDOf(dir) != podUID {
			continue
		}
		found = append(found, pid)
	}
	if len(found) != 1 {
		return 0, fmt.Errorf("%d processes %s in pod %s, want 1: %v", len(found), cmd, podUID, found)
	}
	return found[0], nil
}

// sigkillPod sends SIGKILL to the process cmd of pod: the container dies
// at once, with no chance to drain, as on an OOM kill or a crash.
func sigkillPod(pod *corev1.Pod, cmd string) error {
	pid, err := podProcess(string(pod.UID), cmd)
	if err != nil {
		return err
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		return fmt.Errorf("SIGKILL %d (%s in pod %s): %w", pid, cmd, pod.Name, err)
	}
	return nil
}

// podTimeline is what watchPod saw of a pod after a fault, as offsets from
// the fault.
type podTimeline struct {
	// notReady is when the pod was first seen not Ready (0 if never).
	notReady time.Duration
	// restarted is when its first container's restart count first rose.
	restarted time.Duration
	// readyAgain is when it was Ready again after notReady, or after
	// restarted when it was never seen not Ready.
	readyAgain time.Duration
}

// String describes the timeline for logs.
func (tl podTimeline) String() string {
	show := func(d time.Duration) string {
		if d == 0 {
			return "not seen"
		}
		return d.Round(10 * time.Millisecond).String()
	}
	return fmt.Sprintf("not ready at %s, container restarted at %s, ready again at %s",
		show(tl.notReady), show(tl.restarted), show(tl.readyAgain))
}

// watchPod polls the pod every 50 ms from the fault at from until it is
// ready again after the fault, or ctx ends.
func watchPod(ctx context.Context, ns, name string, restarts int32, from time.Time) podTimeline {
	var tl podTimeline
	_, _ = poll.Until(ctx, 50*time.Millisecond, func(ctx context.Context) error {
		p := &corev1.Pod{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return err
		}
		now := time.Since(from)
		ready := podReady(p)
		if !ready && tl.notReady == 0 {
			tl.notReady = now
		}
		if len(p.Status.ContainerStatuses) > 0 && p.Status.ContainerStatuses[0].RestartCount > restarts && tl.restarted == 0 {
			tl.restarted = now
		}
		if ready && (tl.notReady != 0 || tl.restarted != 0) {
			tl.readyAgain = now
			return nil
		}
		return errors.New("not ready again yet")
	})
	return tl
}

// restartCount is the first container's restart count.
func restartCount(p *corev1.Pod) int32 {
	if len(p.Status.ContainerStatuses) == 0 {
		return 0
	}
	return p.Status.ContainerStatuses[0].RestartCount
}

// failureKinds counts the failed requests by cause, with the send times of
// the first and the last of each: a refused connection (nothing listened
// at the address the Service chose), a reset or a closed connection (a
// listener or a request in flight lost), a timeout, or an HTTP status.
func failureKinds(rs []loadResult, ok func(response) bool) string {
	type span struct {
		n           int
		first, last time.Duration
	}
	kinds := map[string]*span{}
	for _, r := range rs {
		if ok(r.response) {
			continue
		}
		k := failureKind(r.response)
		s := kinds[k]
		if s == nil {
			s = &span{first: r.sent}
			kinds[k] = s
		}
		s.n++
		s.last = r.sent
	}
	if len(kinds) == 0 {
		return "none"
	}
	var parts []string
	for k, s := range kinds {
		parts = append(parts, fmt.Sprintf("%s %d (sent %s to %s)", k, s.n, s.first.Round(time.Millisecond), s.last.Round(time.Millisecond)))
	}
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}

// failureKind names the cause of one failed request.
func failureKind(r response) string {
	if r.err == nil {
		return fmt.Sprintf("HTTP %d", r.code)
	}
	msg := r.err.Error()
	for _, k := range []struct{ substr, kind string }{
		{"connection refused", "refused"},
		{"connection reset", "reset"},
		{"EOF", "closed (EOF)"},
		{"broken pipe", "broken pipe"},
		{"deadline exceeded", "timeout"},
		{"timeout", "timeout"},
	} {
		if strings.Contains(msg, k.substr) {
			return k.kind
		}
	}
	return "other"
}

// successRate is the share of rs for which ok holds, in percent.
func successRate(rs []loadResult, ok func(response) bool) (served int, pct float64) {
	for _, r := range rs {
		if ok(r.response) {
			served++
		}
	}
	if len(rs) == 0 {
		return 0, 0
	}
	return served, 100 * float64(served) / float64(len(rs))
}

// listPods lists the pods of wake-system with the given labels.
func listPods(ctx context.Context, labels client.MatchingLabels) ([]corev1.Pod, error) {
	pods := &corev1.PodList{}
	if err := suite.client.List(ctx, pods, client.InNamespace(systemNamespace), labels); err != nil {
		return nil, fmt.Errorf("list pods %v: %w", labels, err)
	}
	return pods.Items, nil
}

// failureLines is failuresByTime, one failure per line, for logs.
func failureLines(rs []loadResult, ok func(response) bool, limit int) string {
	return "\n\t" + strings.Join(failuresByTime(rs, ok, limit), "\n\t")
}
