package revision

import (
	"context"
	"slices"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/names"
)

// blockerToRevision relies on children being named after their revision.
func TestChildrenAreNamedAfterTheirRevision(t *testing.T) {
	if names.Deployment(testName) != testName || names.Service(testName) != testName {
		t.Fatal("names.Deployment or names.Service is no longer the identity: fix blockerToRevision")
	}
}

func TestPodToRevision(t *testing.T) {
	got := podToRevision(context.Background(), pod("hello-00001-a"))
	if len(got) != 1 || got[0].NamespacedName != testKey {
		t.Errorf("podToRevision = %v, want %v", got, testKey)
	}
	other := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "x", Namespace: testNamespace}}
	if got := podToRevision(context.Background(), other); len(got) != 0 {
		t.Errorf("podToRevision of an unlabelled pod = %v, want nothing", got)
	}
	if hasRevisionLabel(other) {
		t.Error("hasRevisionLabel of an unlabelled pod is true")
	}
}

func TestDeletedBlocker(t *testing.T) {
	rev := newRevision()
	owned := deployment(rev)
	blocker := unowned(deployment(rev))
	if deletedBlocker.Delete(event.DeleteEvent{Object: owned}) {
		t.Error("the deletion of a revision's own Deployment passes (Owns handles it)")
	}
	if !deletedBlocker.Delete(event.DeleteEvent{Object: blocker}) {
		t.Error("the deletion of a blocking Deployment does not pass")
	}
	if deletedBlocker.Create(event.CreateEvent{Object: blocker}) || deletedBlocker.Update(event.UpdateEvent{ObjectOld: blocker, ObjectNew: blocker}) {
		t.Error("creations or updates of unrelated Deployments pass")
	}
	got := blockerToRevision(context.Background(), blocker)
	if len(got) != 1 || got[0].NamespacedName != testKey {
		t.Errorf("blockerToRevision = %v, want %v", got, testKey)
	}
}

func TestCacheByObjectSelectsRevisionPods(t *testing.T) {
	byObject := CacheByObject()
	if len(byObject) != 1 {
		t.Fatalf("CacheByObject has %d entries, want only pods", len(byObject))
	}
	for obj, opts := range byObject {
		if _, ok := obj.(*corev1.Pod); !ok {
			t.Errorf("CacheByObject filters %T; Deployments and Services must stay unfiltered", obj)
		}
		if !opts.Label.Matches(labels.Set{servingv1alpha1.RevisionLabelKey: "x"}) || opts.Label.Matches(labels.Set{"app": "x"}) {
			t.Errorf("pod selector %q does not select exactly the revision pods", opts.Label)
		}
	}
}

func TestQuotaToRevisions(t *testing.T) {
	h := newHarness(t, reconcilertest.Setup{},
		fixture.Revision(testNamespace, "quota", withConditions("ResourcesAvailable=False/QuotaExceeded")),
		fixture.Revision(testNamespace, "service", withConditions("ResourcesAvailable=False/ServiceRefused")),
		fixture.Revision(testNamespace, "crashing", withConditions("ContainerHealthy=False/ExitCode1")),
		fixture.Revision(testNamespace, "deploying"),
		fixture.Revision("team-b", "elsewhere", withConditions("ResourcesAvailable=False/QuotaExceeded")),
	)
	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Namespace: testNamespace, Name: "team"}}
	var got []string
	for _, req := range h.R.quotaToRevisions(context.Background(), quota) {
		got = append(got, req.String())
	}
	slices.Sort(got)
	if want := []string{"team-a/quota", "team-a/service"}; !slices.Equal(got, want) {
		t.Errorf("quotaToRevisions = %v, want the refused revisions of its namespace %v", got, want)
	}
}

// TestRetryDelayIsCapped: a revision that keeps failing is retried at least
// once every MaxRetryDelay, and the first retries still come fast.
func TestRetryDelayIsCapped(t *testing.T) {
	rl := rateLimiter()
	req := reconcile.Request{NamespacedName: testKey}
	if d := rl.When(req); d > 10*time.Millisecond {
		t.Errorf("first retry after %v, want a few milliseconds", d)
	}
	var last time.Duration
	for range 40 {
		last = rl.When(req)
	}
	if last != MaxRetryDelay {
		t.Errorf("retry after 40 failures comes after %v, want the cap %v", last, MaxRetryDelay)
	}
}

func TestDeploymentReadChanged(t *testing.T) {
	cond := func(typ appsv1.DeploymentConditionType, status corev1.ConditionStatus, reason string) appsv1.DeploymentCondition {
		return appsv1.DeploymentCondition{Type: typ, Status: status, Reason: reason, Message: reason}
	}
	tests := []struct {
		name   string
		change func(s *appsv1.DeploymentStatus)
		want   bool
	}{
		{name: "routine writes of the Deployment's controller", change: func(s *appsv1.DeploymentStatus) {
			s.ObservedGeneration, s.Replicas, s.UpdatedReplicas, s.AvailableReplicas = 2, 1, 1, 1
			s.Conditions = []appsv1.DeploymentCondition{cond(appsv1.DeploymentProgressing, corev1.ConditionTrue, "NewReplicaSetAvailable")}
		}, want: false},
		{name: "a pod ready", change: func(s *appsv1.DeploymentStatus) { s.ReadyReplicas = 1 }, want: true},
		{name: "pods refused", change: func(s *appsv1.DeploymentStatus) {
			s.Conditions = []appsv1.DeploymentCondition{cond(appsv1.DeploymentReplicaFailure, corev1.ConditionTrue, "FailedCreate")}
		}, want: true},
		{name: "the progress deadline passed", change: func(s *appsv1.DeploymentStatus) {
			s.Conditions = []appsv1.DeploymentCondition{cond(appsv1.DeploymentProgressing, corev1.ConditionFalse, progressDeadlineExceeded)}
		}, want: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			old := &appsv1.Deployment{}
			cur := old.DeepCopy()
			tc.change(&cur.Status)
			if got := deploymentReadChanged(old, cur); got != tc.want {
				t.Errorf("deploymentReadChanged = %v, want %v", got, tc.want)
			}
		})
	}
}
