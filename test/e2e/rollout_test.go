//go:build e2e

package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
)

// TestRolloutUnderLoad changes a Function's GREETING while 100 req/s flow to
// its host through the activator, from 2 s before the change until the old
// revision's pods are gone (short scale-to-zero settings let them go) and
// rolloutTail after. Every request must get 200 with the old or the new
// greeting; the new one must be served during the load and be the only one
// served afterwards. The load lasts as long as the rollout takes, so a busy
// machine makes it longer rather than ending it before the switch (it used
// to stop after 15 s).
func TestRolloutUnderLoad(t *testing.T) {
	ns := newNamespace(t, "rollout")
	const (
		oldGreeting = "before"
		newGreeting = "after"
		rate        = 100
		changeAt    = 2 * time.Second
		// limit bounds the load. With both cores kept busy by other
		// processes the old revision's pods were gone 9 s after the
		// change.
		limit = 90 * time.Second
	)
	create(t, newFunction(ns, "roll", "hello", withGreeting(oldGreeting), withFastScaleToZero(0)))
	waitFunctionReady(t, ns, "roll", 2*time.Minute)
	host := functionHost(ns, "roll")
	waitServing(t, host, bodyIs(oldGreeting))
	isOld, isNew := bodyIs(oldGreeting), bodyIs(newGreeting)

	var changed, oldGone time.Duration = 0, -1
	rs := loadUntil(httpClient, host, rate, limit, func(ctx context.Context) {
		start := time.Now()
		if !poll.Sleep(ctx, changeAt) {
			return
		}
		fn := &servingv1alpha1.Function{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "roll"}, fn); err != nil {
			t.Errorf("get function: %v", err)
			return
		}
		fn.Spec.Template.Spec.Containers[0].Env = nil
		withGreeting(newGreeting)(fn)
		if err := suite.client.Update(ctx, fn); err != nil {
			t.Errorf("update function greeting: %v", err)
			return
		}
		changed = time.Since(start)
		// Load on until the old revision has no pods left, and a little
		// after, so that the last of the switch is under load too.
		for ctx.Err() == nil {
			pods := &corev1.PodList{}
			err := suite.client.List(ctx, pods, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.RevisionLabelKey: "roll-00001"})
			if err == nil && len(pods.Items) == 0 {
				oldGone = time.Since(start)
				break
			}
			poll.Sleep(ctx, pollInterval)
		}
		poll.Sleep(ctx, rolloutTail)
	})
	if t.Failed() {
		t.FailNow()
	}

	ok := func(r response) bool {
		return r.err == nil && r.code == http.StatusOK && (isOld(r.body) || isNew(r.body))
	}
	var failed, olds, news int
	firstNew, lastOld := time.Duration(-1), time.Duration(-1)
	for _, r := range rs {
		switch {
		case !ok(r.response):
			failed++
		case isNew(r.body):
			news++
			if firstNew < 0 {
				firstNew = r.sent
			}
		default:
			olds++
			lastOld = r.sent
		}
	}
	t.Logf("%d requests at %d/s, greeting changed at %s: %d old, %d new, %d failed; first new sent at %s, last old sent at %s; old revision's pods gone at %s (-1: not within the %s limit)",
		len(rs), rate, changed.Round(time.Millisecond), olds, news, failed,
		firstNew.Round(time.Millisecond), lastOld.Round(time.Millisecond), oldGone.Round(time.Millisecond), limit)
	if failed > 0 {
		t.Errorf("%d of %d requests during the rollout failed; e.g. %v", failed, len(rs), failuresByTime(rs, ok, 10))
	}
	if news == 0 {
		t.Errorf("the new greeting was never served during the load")
	}

	fn := waitFunctionReady(t, ns, "roll", 2*time.Minute)
	if fn.Status.LatestReadyRevisionName != "roll-00002" {
		t.Fatalf("latestReady=%q after the change, want roll-00002", fn.Status.LatestReadyRevisionName)
	}
	waitServing(t, host, isNew)
	requireAll(t, "after the rollout", getAll(host, "/", 40, 8), http.StatusOK, isNew)
}

// rolloutTail is how long a load goes on once the rollout it covers has
// completed, so that requests sent after the last step are checked too.
const rolloutTail = 2 * time.Second
