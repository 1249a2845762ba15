//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/util/retry"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/testutil"
)

const (
	// reachGrace is the scaleToZeroGracePeriod of TestUnreachableRevisionsCostNothing's
	// Function: an unreachable revision must be at zero this long after it
	// became unreachable (or served its last request, if later).
	reachGrace = 10 * time.Second
	// zeroSlack is how much later than its grace period an unreachable
	// revision may be seen at zero: up to one autoscaler tick (2 s), about
	// a second for the controller to write the revision's reachability and
	// the autoscaler to read it, kubelet stopping the pod and the API
	// server dropping it (1.5 to 2 s measured for a plain Deployment
	// scaled 1 to 0 on the local cluster) and the test's poll interval:
	// about 5 s, doubled for this shared 2-core machine's hiccups.
	zeroSlack = 10 * time.Second
	// earlyTolerance is how much earlier than its grace period a revision
	// may be seen at zero: the test notices that the Function moved on up
	// to a poll interval (and an API round trip) after it did, which makes
	// the measured time look that much shorter.
	earlyTolerance = time.Second
	// backBound bounds how long a revision that becomes reachable again
	// takes to have its minScale pod ready, without a request: the
	// controller's and the autoscaler's reactions, and a pod start.
	backBound = 30 * time.Second
)

// TestUnreachableRevisionsCostNothing is the issue "a revision that no
// traffic can reach costs nothing": a minScale 1 Function edited twice ends
// with one pod, its latest revision's, the two old revisions reaching zero
// within their grace period of becoming unreachable; a Route pinning the
// first revision (and a tag-only target on the second) brings their pods
// back without a request; and a rollout under 100 req/s still loses no
// request, after which the replaced revision reaches zero while the pinned
// ones keep their pods.
func TestUnreachableRevisionsCostNothing(t *testing.T) {
	ns := newNamespace(t, "reach")
	const name = "keep"
	rev := func(n int) string { return fmt.Sprintf("%s-%05d", name, n) }
	greeting := func(n int) string { return fmt.Sprintf("v%d", n) }
	isGreeting := func(n int) func(string) bool { return bodyIs(greeting(n)) }
	host := functionHost(ns, name)

	// 1. One revision, one pod.
	create(t, newFunction(ns, name, "hello", withGreeting(greeting(1)),
		withScaleBounds(1, 3), withFastScaleToZero(reachGrace)))
	waitFunctionReady(t, ns, name, 2*time.Minute)
	waitServing(t, host, isGreeting(1))
	waitOnlyPods(t, ns, time.Minute, rev(1))
	waitReachability(t, ns, rev(1), servingv1alpha1.ReachabilityReachable, 30*time.Second)

	// 2. Two edits. Each old revision's grace starts when the Function's
	// URL moved past it or when it answered its last request, whichever is
	// later; only the polls that wait for the new greeting reach it then.
	var watches []*revWatch
	for n := 2; n <= 3; n++ {
		setGreeting(t, ns, name, greeting(n))
		moved := waitLatestReady(t, ns, name, rev(n), 2*time.Minute)
		w := watchRevision(ns, rev(n-1), reachGrace+zeroSlack+time.Minute)
		t.Cleanup(w.stop)
		var lastOld time.Time
		waitServing(t, host, func(b string) bool {
			if isGreeting(n - 1)(b) {
				lastOld = time.Now()
			}
			return isGreeting(n)(b)
		})
		w.from = latest(moved, lastOld)
		t.Logf("%s: the Function's URL moved to %s at %s; %s's last answer after that: %s",
			rev(n-1), rev(n), moved.Format("15:04:05.000"), rev(n-1), offset(lastOld, moved))
		watches = append(watches, w)
	}
	for _, w := range watches {
		checkZeroInGrace(t, w)
	}
	waitOnlyPods(t, ns, 30*time.Second, rev(3))
	for _, r := range []string{rev(1), rev(2)} {
		requireAtZero(t, ns, r)
		waitReachability(t, ns, r, servingv1alpha1.ReachabilityUnreachable, 10*time.Second)
	}
	waitReachability(t, ns, rev(3), servingv1alpha1.ReachabilityReachable, 10*time.Second)
	checkReachabilityColumn(t, ns, map[string]servingv1alpha1.Reachability{
		rev(1): servingv1alpha1.ReachabilityUnreachable,
		rev(2): servingv1alpha1.ReachabilityUnreachable,
		rev(3): servingv1alpha1.ReachabilityReachable,
	})

	// 3. A Route pins the first revision and tags the second at 0 %. Both
	// come back to their minScale before any request is sent to them.
	pinHost := "pin." + ns + "." + suite.domain
	tagHost := "old-" + pinHost
	created := time.Now()
	create(t, newRoute(ns, "pin", []string{pinHost},
		servingv1alpha1.TrafficTarget{RevisionName: rev(1), Percent: 100},
		servingv1alpha1.TrafficTarget{RevisionName: rev(2), Percent: 0, Tag: "old"},
	))
	pinnedPods := map[string]string{}
	for _, r := range []string{rev(1), rev(2)} {
		pinnedPods[r] = waitBackAtMinScale(t, ns, r, created)
	}
	waitRouteCondition(t, ns, "pin", apis.ConditionReady, corev1.ConditionTrue, time.Minute)
	waitServing(t, pinHost, isGreeting(1))
	requireAll(t, "pinned route", getAll(pinHost, "/", 40, 4), http.StatusOK, isGreeting(1))
	waitServing(t, tagHost, isGreeting(2))
	requireAll(t, "tag host", getAll(tagHost, "/", 20, 4), http.StatusOK, isGreeting(2))

	// 4. A rollout from v3 to v4 under 100 req/s to the Function's URL,
	// from 2 s before the change until the URL answers v4, and
	// rolloutTail after: as long as the rollout takes, up to limit.
	const (
		rate     = 100
		changeAt = 2 * time.Second
		limit    = 90 * time.Second
	)
	var (
		moved     time.Time
		seen4     []servingv1alpha1.Reachability
		duringErr error
		w         *revWatch
	)
	watch3 := func() { w = watchRevision(ns, rev(3), reachGrace+zeroSlack+time.Minute) }
	loadStart := time.Now()
	rs := loadUntil(httpClient, host, rate, limit, func(ctx context.Context) {
		if !poll.Sleep(ctx, changeAt) {
			return
		}
		if duringErr = updateGreeting(ctx, ns, name, greeting(4)); duringErr != nil {
			return
		}
		// Note what rev 4 says about itself while it starts, and when the
		// Function's URL moves to it.
		for ctx.Err() == nil && moved.IsZero() {
			r := &servingv1alpha1.Revision{}
			if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev(4)}, r); err == nil {
				if len(seen4) == 0 || seen4[len(seen4)-1] != r.Status.Reachability {
					seen4 = append(seen4, r.Status.Reachability)
				}
			}
			fn := &servingv1alpha1.Function{}
			if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, fn); err == nil && fn.Status.LatestReadyRevisionName == rev(4) {
				moved = time.Now()
				watch3()
				break
			}
			poll.Sleep(ctx, pollInterval)
		}
		for ctx.Err() == nil && !isGreeting(4)(get(host, "/").body) {
			poll.Sleep(ctx, pollInterval)
		}
		poll.Sleep(ctx, rolloutTail)
	})
	if duringErr != nil {
		t.Fatalf("change the greeting during the load: %v", duringErr)
	}
	if moved.IsZero() {
		moved = waitLatestReady(t, ns, name, rev(4), time.Minute)
		watch3()
	}
	t.Cleanup(w.stop)

	ok := func(r response) bool {
		return r.err == nil && r.code == http.StatusOK && (isGreeting(3)(r.body) || isGreeting(4)(r.body))
	}
	var failed, olds, news int
	var lastOld time.Time
	for _, r := range rs {
		switch {
		case !ok(r.response):
			failed++
		case isGreeting(4)(r.body):
			news++
		default:
			olds++
			lastOld = latest(lastOld, r.done)
		}
	}
	t.Logf("rollout: %d requests at %d/s: %d %s, %d %s, %d failed; the Function's URL moved to %s %s into the load, last answer from %s relative to that: %s; %s reported reachability %q while starting",
		len(rs), rate, olds, greeting(3), news, greeting(4), failed, rev(4), moved.Sub(loadStart).Round(time.Millisecond),
		rev(3), offset(lastOld, moved), rev(4), seen4)
	if failed > 0 {
		t.Errorf("%d of %d requests during the rollout failed; e.g. %v", failed, len(rs), failuresByTime(rs, ok, 10))
	}
	if news == 0 {
		t.Errorf("%s was never served during the load", greeting(4))
	}
	if slices.Contains(seen4, servingv1alpha1.ReachabilityUnreachable) {
		t.Errorf("%s was Unreachable while it started (seen %v): it must be Pending until it serves", rev(4), seen4)
	}
	w.from = latest(moved, lastOld)
	checkZeroInGrace(t, w)
	requireAtZero(t, ns, rev(3))
	waitReachability(t, ns, rev(3), servingv1alpha1.ReachabilityUnreachable, 10*time.Second)
	waitReachability(t, ns, rev(4), servingv1alpha1.ReachabilityReachable, 10*time.Second)
	for _, r := range []string{rev(1), rev(2)} {
		waitReachability(t, ns, r, servingv1alpha1.ReachabilityReachable, 10*time.Second)
	}
	pods := waitOnlyPods(t, ns, 30*time.Second, rev(1), rev(2), rev(4))
	for r, uid := range pinnedPods {
		if pods[r] != uid {
			t.Errorf("%s's pod changed during the rollout (was UID %s, now %s): a pinned revision must keep its pod", r, uid, pods[r])
		}
	}
	waitServing(t, host, isGreeting(4))
	requireAll(t, "pinned route after the rollout", getAll(pinHost, "/", 20, 4), http.StatusOK, isGreeting(1))
}

// setGreeting changes the Function's GREETING, failing the test on error.
func setGreeting(t *testing.T, ns, name, value string) {
	t.Helper()
	if err := updateGreeting(context.Background(), ns, name, value); err != nil {
		t.Fatal(err)
	}
}

// updateGreeting changes the Function's GREETING, retrying on conflicts
// with the controller's status writes.
func updateGreeting(ctx context.Context, ns, name, value string) error {
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		fn := &servingv1alpha1.Function{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, fn); err != nil {
			return err
		}
		fn.Spec.Template.Spec.Containers[0].Env = nil
		withGreeting(value)(fn)
		return suite.client.Update(ctx, fn)
	})
	if err != nil {
		return fmt.Errorf("set function %s/%s greeting to %q: %w", ns, name, value, err)
	}
	return nil
}

// waitLatestReady waits until the Function's latest ready revision is rev
// and returns when the test first saw it (at most a poll interval late).
func waitLatestReady(t *testing.T, ns, name, rev string, timeout time.Duration) time.Time {
	t.Helper()
	testutil.Eventually(t, timeout, "function "+ns+"/"+name+" latestReady "+rev, func(ctx context.Context) error {
		fn := &servingv1alpha1.Function{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, fn); err != nil {
			return err
		}
		if fn.Status.LatestReadyRevisionName != rev {
			return errors.New("latestReady=" + fn.Status.LatestReadyRevisionName + " " + describe(fn.Status.Conditions))
		}
		return nil
	})
	return time.Now()
}

// waitReachability waits until the revision's status.reachability is want.
func waitReachability(t *testing.T, ns, rev string, want servingv1alpha1.Reachability, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, "revision "+rev+" "+string(want), func(ctx context.Context) error {
		r := &servingv1alpha1.Revision{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, r); err != nil {
			return err
		}
		if r.Status.Reachability != want {
			return fmt.Errorf("reachability %q", r.Status.Reachability)
		}
		return nil
	})
}

// waitOnlyPods waits until the namespace's pods are exactly one per named
// revision, each Running and Ready and not being deleted, and returns
// their UIDs by revision.
func waitOnlyPods(t *testing.T, ns string, timeout time.Duration, revs ...string) map[string]string {
	t.Helper()
	var uids map[string]string
	testutil.Eventually(t, timeout, fmt.Sprintf("exactly one ready pod for each of %v and no other pod", revs), func(ctx context.Context) error {
		pods := &corev1.PodList{}
		if err := suite.client.List(ctx, pods, client.InNamespace(ns)); err != nil {
			return err
		}
		uids = map[string]string{}
		var seen []string
		ok := len(pods.Items) == len(revs)
		for _, p := range pods.Items {
			r := p.Labels[servingv1alpha1.RevisionLabelKey]
			ready := p.Status.Phase == corev1.PodRunning && p.DeletionTimestamp == nil && podReady(&p)
			seen = append(seen, fmt.Sprintf("%s (%s, %s, ready=%t)", p.Name, r, p.Status.Phase, ready))
			_, dup := uids[r]
			ok = ok && ready && !dup && slices.Contains(revs, r)
			uids[r] = string(p.UID)
		}
		if !ok {
			return fmt.Errorf("pods %v", seen)
		}
		return nil
	})
	return uids
}

// podReady reports whether the pod's Ready condition is True.
func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// atZero reports whether the revision's Deployment wants and has no
// replicas and none of its pods is left, with a description for failure
// messages.
func atZero(ctx context.Context, ns, rev string) (bool, string, error) {
	d := &appsv1.Deployment{}
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, d); err != nil {
		return false, "", err
	}
	pods := &corev1.PodList{}
	if err := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev}); err != nil {
		return false, "", err
	}
	spec := "unset"
	if d.Spec.Replicas != nil {
		spec = fmt.Sprint(*d.Spec.Replicas)
	}
	ok := spec == "0" && d.Status.Replicas == 0 && len(pods.Items) == 0
	return ok, fmt.Sprintf("deployment replicas spec=%s status=%d, %d pods", spec, d.Status.Replicas, len(pods.Items)), nil
}

// requireAtZero fails the test unless the revision is at zero now.
func requireAtZero(t *testing.T, ns, rev string) {
	t.Helper()
	ok, desc, err := atZero(context.Background(), ns, rev)
	if err != nil || !ok {
		t.Fatalf("revision %s is not at zero: %s (err %v)", rev, desc, err)
	}
}

// revWatch notes when a revision was first seen at zero (see atZero),
// polling from its start until then or until its deadline.
type revWatch struct {
	rev string
	// from is when the revision's grace period started, as the test
	// measured it; set by the test once it knows.
	from time.Time
	// deadline is when the watch gives up.
	deadline time.Time

	mu     sync.Mutex
	zero   time.Time
	last   string
	cancel context.CancelFunc
	done   chan struct{}
}

// watchRevision starts watching the revision for at most timeout.
func watchRevision(ns, rev string, timeout time.Duration) *revWatch {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	w := &revWatch{rev: rev, deadline: time.Now().Add(timeout), cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		_, _ = poll.Until(ctx, pollInterval, func(ctx context.Context) error {
			ok, desc, err := atZero(ctx, ns, rev)
			now := time.Now()
			w.mu.Lock()
			defer w.mu.Unlock()
			if err != nil {
				desc = err.Error()
			}
			w.last = desc
			if !ok {
				return errors.New(desc)
			}
			w.zero = now
			return nil
		})
	}()
	return w
}

// stop ends the watch and waits for it.
func (w *revWatch) stop() {
	w.cancel()
	<-w.done
}

// checkZeroInGrace waits for the watch to end and checks that the revision
// was seen at zero no earlier than its grace period after w.from (less
// earlyTolerance) and no later than that plus zeroSlack.
func checkZeroInGrace(t *testing.T, w *revWatch) {
	t.Helper()
	select {
	case <-w.done:
	case <-time.After(time.Until(w.from.Add(reachGrace + zeroSlack))):
		w.stop()
	}
	w.mu.Lock()
	zero, last := w.zero, w.last
	w.mu.Unlock()
	if zero.IsZero() {
		t.Fatalf("%s: not at zero within %s (grace %s + slack %s) of becoming unreachable; last seen: %s",
			w.rev, time.Since(w.from).Round(time.Millisecond), reachGrace, zeroSlack, last)
	}
	took := zero.Sub(w.from)
	t.Logf("%s: at zero %s after it became unreachable (grace %s, slack %s)", w.rev, took.Round(time.Millisecond), reachGrace, zeroSlack)
	if took < reachGrace-earlyTolerance {
		t.Errorf("%s: at zero %s after it became unreachable, before its grace period of %s", w.rev, took.Round(time.Millisecond), reachGrace)
	}
	if took > reachGrace+zeroSlack {
		t.Errorf("%s: at zero %s after it became unreachable, later than grace %s + slack %s", w.rev, took.Round(time.Millisecond), reachGrace, zeroSlack)
	}
}

// waitBackAtMinScale waits, sending no request, until the revision is
// Reachable and its Deployment wants one replica and has one ready pod,
// logs how long after since that was, and returns the pod's UID.
func waitBackAtMinScale(t *testing.T, ns, rev string, since time.Time) string {
	t.Helper()
	var uid string
	testutil.Eventually(t, backBound-time.Since(since), rev+" reachable with its minScale pod ready, without a request", func(ctx context.Context) error {
		r := &servingv1alpha1.Revision{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, r); err != nil {
			return err
		}
		d := &appsv1.Deployment{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, d); err != nil {
			return err
		}
		pods := &corev1.PodList{}
		if err := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev}); err != nil {
			return err
		}
		ready := 0
		for _, p := range pods.Items {
			if p.DeletionTimestamp == nil && podReady(&p) {
				ready++
				uid = string(p.UID)
			}
		}
		spec := int32(-1)
		if d.Spec.Replicas != nil {
			spec = *d.Spec.Replicas
		}
		if r.Status.Reachability != servingv1alpha1.ReachabilityReachable || spec != 1 || ready != 1 || len(pods.Items) != 1 {
			return fmt.Errorf("reachability %q, deployment replicas spec=%d, %d pods, %d ready", r.Status.Reachability, spec, len(pods.Items), ready)
		}
		return nil
	})
	t.Logf("%s: reachable with its minScale pod ready %s after the Route was created (bound %s)", rev, time.Since(since).Round(time.Millisecond), backBound)
	return uid
}

// checkReachabilityColumn checks the REACHABILITY column of `kubectl get
// rev` for each revision in want. Columns are read at the header's offset,
// since kubectl leaves an unset cell blank.
func checkReachabilityColumn(t *testing.T, ns string, want map[string]servingv1alpha1.Reachability) {
	t.Helper()
	out := kubectl(t, 30*time.Second, "-n", ns, "get", "rev")
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	const header = "REACHABILITY"
	col := strings.Index(lines[0], header)
	if col < 0 {
		t.Fatalf("kubectl get rev has no %s column:\n%s", header, out)
	}
	end := col + len(header)
	for end < len(lines[0]) && lines[0][end] == ' ' {
		end++
	}
	got := map[string]string{}
	for _, l := range lines[1:] {
		if f := strings.Fields(l); len(f) > 0 && len(l) > col {
			got[f[0]] = strings.TrimSpace(l[col:min(end, len(l))])
		}
	}
	for rev, w := range want {
		if got[rev] != string(w) {
			t.Errorf("kubectl get rev: %s has REACHABILITY %q, want %q:\n%s", rev, got[rev], w, out)
		}
	}
	t.Logf("kubectl get rev -n %s:\n%s", ns, out)
}

// latest returns the later of a and b.
func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// offset describes when t was relative to ref ("+1.2s", "-300ms"), or
// "none" if t is zero.
func offset(t, ref time.Time) string {
	if t.IsZero() {
		return "none"
	}
	d := t.Sub(ref).Round(time.Millisecond)
	if d >= 0 {
		return "+" + d.String()
	}
	return d.String()
}
