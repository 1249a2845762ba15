package kubectlwake

import (
	"regexp"
	"time"

	corev1 "k8s.io/api/core/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// A cold start, as the API shows it afterwards: the newest pod of the
// revision that most recently started one, split at the times Kubernetes
// recorded on the way from "the Deployment was scaled up" to "the pod is
// Ready". Each phase runs from the latest earlier mark to its own; a mark
// recorded before an earlier one (a kubelet may write Initialized before
// the sandbox is up) makes its phase 0. Kubernetes records these times in
// whole seconds, so each phase is too.

// Phase is one step of a pod's start.
type Phase struct {
	// Name is the phase's short name.
	Name string `json:"name"`
	// Until is the mark that ends it: a pod condition, or what happened.
	Until string `json:"until"`
	// Seconds is how long it took; nil when its mark is not reached yet.
	Seconds *int64 `json:"seconds,omitempty"`
	// What says what happens in it.
	What string `json:"what"`
}

// ColdStart is the last pod start of a Function or Route's revisions.
type ColdStart struct {
	// Pod and Revision are the pod measured and its revision.
	Pod      string `json:"pod"`
	Revision string `json:"revision"`
	// Created is the pod's creationTimestamp.
	Created time.Time `json:"created"`
	// ScaledFrom says where the scale-up time came from: the Deployment's
	// ScalingReplicaSet event, the Revision's Active condition, or "" when
	// neither told it (the first phase is then left out).
	ScaledFrom string `json:"scaledFrom,omitempty"`
	// Phases are the steps in order.
	Phases []Phase `json:"phases"`
	// TotalSeconds runs from the first mark to the last one reached.
	TotalSeconds int64 `json:"totalSeconds"`
	// Waiting names the next mark when the pod is not Ready yet, and
	// WaitingReason why the container waits, if it says.
	Waiting       string `json:"waiting,omitempty"`
	WaitingReason string `json:"waitingReason,omitempty"`
	// ScaleOut is true when other pods of the revision were Ready before
	// this one was created: it was added to a running revision, not woken
	// from zero.
	ScaleOut bool `json:"scaleOut,omitempty"`
	// Restarts are the serving container's restarts: the start measured
	// is its latest.
	Restarts int32 `json:"restarts,omitempty"`
}

// The phases of a pod's start, in order, with the mark that ends each.
// The first (scale-up) needs the time the Deployment was scaled up, which
// the pod does not carry.
var coldStartPhases = []struct{ name, until, what string }{
	{"scale-up", "pod created", "the Deployment was scaled up from zero; its ReplicaSet creates the pod"},
	{"schedule", string(corev1.PodScheduled), "the scheduler binds the pod to a node"},
	{"admit", string(corev1.PodInitialized), "the kubelet admits the pod and runs its init containers (none: at once)"},
	{"sandbox", string(corev1.PodReadyToStartContainers), "the kubelet creates the pod's sandbox and network (CNI)"},
	{"start", "container started", "the image is pulled (when not cached) and the container created and started"},
	{"app-ready", string(corev1.ContainersReady), "the app starts listening and passes its readiness probe"},
	{"ready", string(corev1.PodReady), "readiness gates pass; then the pod's endpoint is published and the activator sends it the held requests"},
}

// scaledUpMessage matches the Deployment controller's event for a scale
// from zero.
var scaledUpMessage = regexp.MustCompile(`^Scaled up replica set \S+ from 0 to [1-9][0-9]*$`)

// scaleUpWindow is how long before a pod's creation its Deployment's scale
// from zero may be and still count as the start of the pod's cold start:
// an older one started an earlier wake, whose pods were replaced since.
const scaleUpWindow = 10 * time.Minute

// lastScaleFromZero returns the latest time a ScalingReplicaSet event of
// a Deployment says it was scaled up from zero, within the window before
// by (the pod's creation, to the second), and whether there is one.
func lastScaleFromZero(events []corev1.Event, by time.Time) (time.Time, bool) {
	var best time.Time
	for _, ev := range events {
		if ev.Reason != "ScalingReplicaSet" || !scaledUpMessage.MatchString(ev.Message) {
			continue
		}
		// An event repeated is counted: its last time is the latest
		// occurrence, its first the earliest.
		for _, t := range []time.Time{ev.LastTimestamp.Time, ev.EventTime.Time, ev.FirstTimestamp.Time} {
			if !t.IsZero() && !t.After(by) && !t.Before(by.Add(-scaleUpWindow)) {
				if t.After(best) {
					best = t
				}
				break
			}
		}
	}
	return best, !best.IsZero()
}

// newestPod returns the newest of pods by creation (then by name), or nil.
func newestPod(pods []corev1.Pod) *corev1.Pod {
	var newest *corev1.Pod
	for i := range pods {
		p := &pods[i]
		if newest == nil || p.CreationTimestamp.After(newest.CreationTimestamp.Time) ||
			p.CreationTimestamp.Equal(&newest.CreationTimestamp) && p.Name > newest.Name {
			newest = p
		}
	}
	return newest
}

// podCondition returns when pod's condition t last turned True, or zero.
func podCondition(pod *corev1.Pod, t corev1.PodConditionType) time.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return c.LastTransitionTime.Time
		}
	}
	return time.Time{}
}

// containerStart returns when the container named container last started
// (the pod's first container when it is not found), why it waits if it
// does, and its restarts.
func containerStart(pod *corev1.Pod, container string) (started time.Time, waiting string, restarts int32) {
	statuses := pod.Status.ContainerStatuses
	if len(statuses) == 0 {
		return time.Time{}, "", 0
	}
	st := statuses[0]
	for _, s := range statuses {
		if s.Name == container {
			st = s
		}
	}
	switch {
	case st.State.Running != nil:
		return st.State.Running.StartedAt.Time, "", st.RestartCount
	case st.State.Terminated != nil:
		return st.State.Terminated.StartedAt.Time, "", st.RestartCount
	case st.State.Waiting != nil:
		return time.Time{}, st.State.Waiting.Reason, st.RestartCount
	}
	return time.Time{}, "", st.RestartCount
}

// ColdStartOf splits the start of pod, of a revision whose other pods are
// siblings, into phases. scaled is when its Deployment was scaled up from
// zero (zero when not known; a time after the pod's creation, recorded in
// the same second, counts as 0) and scaledFrom where that came from;
// container is the serving container's name.
func ColdStartOf(pod *corev1.Pod, siblings []corev1.Pod, scaled time.Time, scaledFrom, container string) *ColdStart {
	created := pod.CreationTimestamp.Time
	started, waiting, restarts := containerStart(pod, container)
	cs := &ColdStart{
		Pod: pod.Name, Revision: pod.Labels[servingv1alpha1.RevisionLabelKey], Created: created, Restarts: restarts,
	}
	for i := range siblings {
		s := &siblings[i]
		if s.Name == pod.Name {
			continue
		}
		if r := podCondition(s, corev1.PodReady); !r.IsZero() && r.Before(created) {
			cs.ScaleOut = true
		}
	}
	marks := []time.Time{
		created,
		podCondition(pod, corev1.PodScheduled),
		podCondition(pod, corev1.PodInitialized),
		podCondition(pod, corev1.PodReadyToStartContainers),
		started,
		podCondition(pod, corev1.ContainersReady),
		podCondition(pod, corev1.PodReady),
	}
	phases := coldStartPhases
	prev := created
	if !scaled.IsZero() && !cs.ScaleOut {
		cs.ScaledFrom, prev = scaledFrom, scaled
	} else {
		phases, marks = phases[1:], marks[1:]
	}
	first, last := prev, prev
	for i, p := range phases {
		ph := Phase{Name: p.name, Until: p.until, What: p.what}
		m := marks[i]
		switch {
		case m.IsZero() && p.until == string(corev1.PodReadyToStartContainers):
			// Not every kubelet reports it; its time goes to the next phase.
			continue
		case m.IsZero():
			if cs.Waiting == "" {
				cs.Waiting = p.until
				if p.until == "container started" {
					cs.WaitingReason = waiting
				}
			}
		default:
			d := max(int64(m.Sub(prev)/time.Second), 0)
			ph.Seconds = &d
			if m.After(prev) {
				prev = m
			}
			last = prev
		}
		cs.Phases = append(cs.Phases, ph)
	}
	cs.TotalSeconds = int64(last.Sub(first) / time.Second)
	return cs
}

// printColdStart writes cs: which pod, then its phases with what each is.
func printColdStart(p *printer, now func() time.Time, cs *ColdStart) {
	kind := "Last cold start"
	if cs.ScaleOut {
		kind = "Last pod start (a scale-out: other pods of the revision were ready)"
	}
	p.printf("%s: pod %s of revision %s, created %s ago", kind, cs.Pod, cs.Revision, age(now, cs.Created))
	if cs.Restarts > 0 {
		p.printf("; its container restarted %d times, the latest start is measured", cs.Restarts)
	}
	p.println()
	t := newTable(p, "PHASE", "TOOK", "UNTIL", "WHAT")
	for _, ph := range cs.Phases {
		took := "" // not reached yet
		if ph.Seconds != nil {
			took = (time.Duration(*ph.Seconds) * time.Second).String()
		}
		t.row(ph.Name, took, ph.Until, ph.What)
	}
	total := (time.Duration(cs.TotalSeconds) * time.Second).String()
	from := "the pod's creation"
	if cs.ScaledFrom != "" {
		from = "the scale-up"
	}
	switch {
	case cs.Waiting == "":
		t.row("total", total, string(corev1.PodReady), "from "+from+" to Ready")
	case cs.WaitingReason != "":
		t.row("total", total, "so far", "from "+from+"; waiting for "+cs.Waiting+": "+cs.WaitingReason)
	default:
		t.row("total", total, "so far", "from "+from+"; waiting for "+cs.Waiting)
	}
	t.flush()
	switch cs.ScaledFrom {
	case "":
		if !cs.ScaleOut {
			p.printf("The scale-up time is not known (no scale from zero recorded in the %d minutes before the pod): the phases start at its creation. ", int(scaleUpWindow.Minutes()))
		}
	default:
		p.printf("Scale-up time from the %s. ", cs.ScaledFrom)
	}
	p.println("Times are whole seconds, as Kubernetes records them.")
}
