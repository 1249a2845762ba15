package scaler

import (
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/autoscaler/decider"
)

// podLimits is a TenantLimits with settable limits.
type podLimits struct {
	mu sync.Mutex
	m  map[string]PodLimits
}

func (p *podLimits) PodLimits(ns string) PodLimits {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.m[ns]
}

func (p *podLimits) set(ns string, l PodLimits) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.m == nil {
		p.m = map[string]PodLimits{}
	}
	p.m[ns] = l
}

// tenantEnv is an env whose namespace rev.Namespace has limits l.
func tenantEnv(t *testing.T, spec decider.Spec, replicas, ready int32, l PodLimits) (*env, *podLimits) {
	t.Helper()
	lim := &podLimits{}
	lim.set(rev.Namespace, l)
	return newEnv(t, spec, deployment(depName, replicas, ready), func(o *Options) { o.Limits = lim }), lim
}

// addRevision tracks key, with a Deployment named after it in its
// namespace at replicas, ready of them ready.
func addRevision(t *testing.T, e *env, key types.NamespacedName, spec decider.Spec, replicas, ready int32) {
	t.Helper()
	dep := deployment(key.Name, replicas, ready)
	dep.Namespace = key.Namespace
	if err := e.client.Create(e.ctx, dep); err != nil {
		t.Fatal(err)
	}
	e.observe(client.ObjectKeyFromObject(dep))
	list, _ := e.targets.ListTargets(e.ctx)
	e.targets.set(append(list, Target{Revision: key, Deployment: key.Name, Spec: spec}), nil)
	if err := e.s.Sync(e.ctx); err != nil {
		t.Fatal(err)
	}
}

// depKeyOf names key's Deployment: depName for rev, else its own name.
func depKeyOf(key types.NamespacedName) client.ObjectKey {
	if key == rev {
		return client.ObjectKey{Namespace: rev.Namespace, Name: depName}
	}
	return key
}

// scaleOf returns the replicas of key's Deployment.
func (e *env) scaleOf(key types.NamespacedName) int32 {
	e.t.Helper()
	var d appsv1.Deployment
	if err := e.client.Get(e.ctx, depKeyOf(key), &d); err != nil {
		e.t.Fatal(err)
	}
	return ptr.Deref(d.Spec.Replicas, 1)
}

// allReady makes every pod of the given revisions ready, as if they
// started at once.
func (e *env) allReady(keys ...types.NamespacedName) {
	e.t.Helper()
	for _, k := range keys {
		var d appsv1.Deployment
		if err := e.client.Get(e.ctx, depKeyOf(k), &d); err != nil {
			e.t.Fatal(err)
		}
		d.Status.ReadyReplicas = ptr.Deref(d.Spec.Replicas, 1)
		if err := e.client.Update(e.ctx, &d); err != nil {
			e.t.Fatal(err)
		}
		e.observe(client.ObjectKeyFromObject(&d))
	}
}

// lastReason returns the reason of the last decision recorded for key.
func (e *env) lastReason(key types.NamespacedName) decider.Reason {
	got := e.status.of(key)
	if len(got) == 0 {
		return ""
	}
	return got[len(got)-1].Reason
}

var perPod = specWith(func(s *decider.Spec) { s.Target = 1 })

func TestTenantMaxPodsOnTicks(t *testing.T) {
	other := types.NamespacedName{Namespace: rev.Namespace, Name: "other-00001"}
	free := types.NamespacedName{Namespace: "free", Name: "big-00001"}
	e, _ := tenantEnv(t, perPod, 1, 1, PodLimits{MaxPods: 2})
	addRevision(t, e, other, perPod, 0, 0)
	addRevision(t, e, free, perPod, 1, 1)
	e.stats.set(rev, 10)  // wants 10
	e.stats.set(other, 1) // at zero, wants its first pod
	e.stats.set(free, 10) // another namespace, no limits
	for range 5 {
		e.run(2 * time.Second)
		e.allReady(rev, other, free)
	}
	if got := e.scaleOf(other); got != 1 {
		t.Errorf("the cold start got %d pods, want 1: it must not starve behind the scale-out", got)
	}
	if got := e.scaleOf(rev); got != 1 {
		t.Errorf("the revision scaling out has %d pods, want 1 (maxPods 2, one taken by the cold start)", got)
	}
	if got := e.scaleOf(free); got != 10 {
		t.Errorf("the revision of a namespace without limits has %d pods, want 10", got)
	}
	if got := e.lastReason(rev); got != decider.ReasonTenantQuotaExceeded {
		t.Errorf("capped revision's reason = %q, want %q", got, decider.ReasonTenantQuotaExceeded)
	}
	if got := e.lastReason(other); got == decider.ReasonTenantQuotaExceeded {
		t.Errorf("the revision that got what it wants shows %q", got)
	}
	if got := testutil.ToFloat64(e.s.metrics.capped.WithLabelValues(rev.Namespace)); got != 1 {
		t.Errorf("capped revisions gauge = %v, want 1", got)
	}
}

func TestTenantMaxPodsOnPoke(t *testing.T) {
	other := types.NamespacedName{Namespace: rev.Namespace, Name: "other-00001"}
	e, lim := tenantEnv(t, perPod, 1, 1, PodLimits{MaxPods: 1})
	addRevision(t, e, other, perPod, 0, 0)
	e.stats.set(rev, 1)
	e.run(4 * time.Second)
	e.drain()

	e.stats.set(other, 1)
	e.s.servePoked(e.ctx, []types.NamespacedName{other})
	if w := e.drain(); len(w) != 0 {
		t.Fatalf("writes for a poke in a namespace at its maxPods: %+v", w)
	}
	if got := e.lastReason(other); got != decider.ReasonTenantQuotaExceeded {
		t.Errorf("denied revision's reason = %q, want %q", got, decider.ReasonTenantQuotaExceeded)
	}
	if got := e.scaleOf(rev); got != 1 {
		t.Errorf("the serving revision has %d pods, want 1: a poke must not take its pod", got)
	}

	lim.set(rev.Namespace, PodLimits{MaxPods: 2}) // the operator raises the limit
	e.s.servePoked(e.ctx, []types.NamespacedName{other})
	if w := e.drain(); len(w) != 1 || w[0].name != other.Name || w[0].replicas != 1 {
		t.Fatalf("writes after the limit was raised = %+v, want %s at 1 at once", w, other.Name)
	}
}

func TestTenantCapLowered(t *testing.T) {
	e, lim := tenantEnv(t, perPod, 4, 4, PodLimits{})
	e.stats.set(rev, 4)
	e.run(4 * time.Second)
	if w := e.drain(); len(w) != 0 {
		t.Fatalf("writes without a limit: %+v", w)
	}
	lim.set(rev.Namespace, PodLimits{MaxPods: 2})
	e.run(2 * time.Second)
	if got := e.scaleOf(rev); got != 2 {
		t.Errorf("replicas after maxPods was lowered to 2 = %d", got)
	}
	if got := e.lastReason(rev); got != decider.ReasonTenantQuotaExceeded {
		t.Errorf("reason = %q, want %q", got, decider.ReasonTenantQuotaExceeded)
	}
	lim.set(rev.Namespace, PodLimits{}) // the policy is deleted
	e.run(2 * time.Second)
	if got := e.scaleOf(rev); got != 4 {
		t.Errorf("replicas after the limit was lifted = %d, want 4", got)
	}
	if got := testutil.CollectAndCount(e.s.metrics.capped); got != 0 {
		t.Errorf("capped gauge keeps %d series for a namespace without limits", got)
	}
}

func TestTenantScaleUpPerMinute(t *testing.T) {
	e, _ := tenantEnv(t, perPod, 1, 1, PodLimits{MaxScaleUpPerMinute: 2})
	e.stats.set(rev, 10)
	start := e.clock.Now()
	check := func(at time.Duration, want int32) {
		t.Helper()
		for e.clock.Since(start) < at {
			e.run(2 * time.Second)
			e.allReady(rev)
		}
		if got := e.scaleOf(rev); got != want {
			t.Errorf("after %v: %d replicas, want %d", e.clock.Since(start), got, want)
		}
	}
	check(4*time.Second, 3)  // +2 at the first tick
	check(58*time.Second, 3) // none more within the minute
	check(64*time.Second, 5) // the first 2 left the window
	if got := e.lastReason(rev); got != decider.ReasonTenantQuotaExceeded {
		t.Errorf("reason = %q, want %q", got, decider.ReasonTenantQuotaExceeded)
	}
}

// TestTenantNewRevisionOverCap: a new revision's Deployment, made at its
// initial scale with its pod ready before the scaler saw it, puts the
// namespace over maxPods: the new revision's pod goes, never the one the
// serving revision was granted, whatever their names' order.
func TestTenantNewRevisionOverCap(t *testing.T) {
	e, _ := tenantEnv(t, perPod, 1, 1, PodLimits{MaxPods: 1})
	e.stats.set(rev, 1)
	e.run(4 * time.Second)
	newRev := types.NamespacedName{Namespace: rev.Namespace, Name: "a-new-00001"} // sorts first
	addRevision(t, e, newRev, perPod, 1, 1)
	e.run(2 * time.Second)
	if got := e.scaleOf(rev); got != 1 {
		t.Errorf("the serving revision has %d pods, want its 1", got)
	}
	if got := e.scaleOf(newRev); got != 0 {
		t.Errorf("the new revision has %d pods, want 0 (maxPods 1)", got)
	}
	if got := e.lastReason(newRev); got != decider.ReasonTenantQuotaExceeded {
		t.Errorf("the new revision's reason = %q, want %q", got, decider.ReasonTenantQuotaExceeded)
	}
}
