package revision

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/config"
)

// reconcileStatus reports the Deployment and its pods on the revision:
// actualReplicas, Active, ContainerHealthy and, when the Service is the
// revision's too, ResourcesAvailable. It leaves desiredReplicas and
// autoscaler to the autoscaler.
//
// A revision that has served (ContainerHealthy True) stays available while
// it is scaled to zero or waking from zero, so traffic keeps reaching it.
// A new revision whose initial scale is 0 is Ready at once without running
// a pod, as in Knative: nothing is known against it, and waiting would
// leave it without traffic, hence without pods, for ever. Its image is
// first checked when a request wakes it; Active=False (ScaledToZero) shows
// that it has no pods.
func (r *Reconciler) reconcileStatus(ctx context.Context, rev *servingv1alpha1.Revision, dep *appsv1.Deployment, svcOwned bool, cfg *config.Config) error {
	s := &rev.Status
	want := ptr.Deref(dep.Spec.Replicas, 1)
	ready := dep.Status.ReadyReplicas
	s.ActualReplicas = ptr.To(ready)
	if want == 0 {
		s.MarkInactive(servingv1alpha1.ReasonScaledToZero, "The revision is scaled to zero.")
	} else {
		s.MarkActive()
	}

	var pods podReport
	if ready == 0 && want > 0 {
		// Only pods tell why a revision that should run has no ready pod.
		var list corev1.PodList
		if err := r.Client.List(ctx, &list, client.InNamespace(rev.Namespace),
			client.MatchingLabels{servingv1alpha1.RevisionLabelKey: rev.Name}); err != nil {
			return fmt.Errorf("list pods of revision %s/%s: %w", rev.Namespace, rev.Name, err)
		}
		pods = inspectPods(list.Items, resources.ContainerName(rev))
	}

	switch {
	case ready > 0 || pods.ready:
		s.MarkContainerHealthy()
	case pods.failure != nil:
		s.MarkContainerUnhealthy(pods.failure.reason, pods.failure.message)
	}
	if svcOwned {
		markResources(s, dep, pods, want, resources.InitialScale(rev, cfg), tenantCapped(rev))
	}
	return nil
}

// markResources sets ResourcesAvailable and PodsCreated from the
// Deployment, the pods, what the revision has shown before (see
// reconcileStatus) and whether the autoscaler denies it pods it wants for
// its namespace's tenant limits (tenantCapped).
//
// A revision denied pods keeps ResourcesAvailable, hence Ready, once it
// has shown that it can serve, at zero as with pods: it is as able to
// serve as before, and a Ready False would move its Function's
// latestReadyRevisionName back to an older revision of the same namespace,
// under the same limit, so traffic would swing between the two as their
// denials come and go. PodsCreated=False (Warning, TenantQuotaExceeded)
// says it. Only a revision that has never served and is denied its first
// pod is ResourcesAvailable=False (TenantQuotaExceeded): it cannot become
// ready, and its Function's traffic stays on the last ready revision until
// it gets its pod.
func markResources(s *servingv1alpha1.RevisionStatus, dep *appsv1.Deployment, pods podReport, want, initialScale int32, tenantCapped bool) {
	if dep.Status.ReadyReplicas > 0 || pods.ready {
		s.MarkResourcesAvailable()
		switch failure := replicaFailure(dep); {
		case failure != nil:
			// Serving, but a scale-up is refused (a pod quota, say).
			s.MarkPodsNotCreated(failure.reason, failure.message)
		case tenantCapped:
			s.MarkPodsNotCreated(servingv1alpha1.ReasonTenantQuotaExceeded, tenantCappedMessage)
		default:
			s.MarkPodsCreated()
		}
		return
	}
	s.MarkPodsCreated() // a failure without pods shows on ResourcesAvailable
	if p := deploymentFailure(dep); p != nil {
		s.MarkResourcesUnavailable(p.reason, p.message)
		return
	}
	health := s.GetCondition(servingv1alpha1.RevisionConditionContainerHealthy)
	switch {
	case health.IsTrue():
		// It has served before: it is scaled to zero, or waking up.
		s.MarkResourcesAvailable()
		if tenantCapped {
			s.MarkPodsNotCreated(servingv1alpha1.ReasonTenantQuotaExceeded, tenantCappedMessage)
		}
	case tenantCapped && !health.IsFalse():
		s.MarkResourcesUnavailable(servingv1alpha1.ReasonTenantQuotaExceeded, tenantDeniedMessage)
	case want > 0 && pods.unschedulable != nil:
		s.MarkDeploying(pods.unschedulable.reason, pods.unschedulable.message)
	case want > 0:
		s.MarkDeploying(servingv1alpha1.ReasonDeploying, "Waiting for a pod to become ready.")
	case health.IsFalse():
		// Scaled to zero on purpose; ContainerHealthy says why it is not
		// ready.
		s.MarkResourcesAvailable()
	case initialScale == 0:
		s.MarkResourcesAvailable()
		s.MarkContainerHealthy()
	default:
		s.MarkResourcesUnavailable(servingv1alpha1.ReasonInitialScaleNotReached,
			"The revision was scaled to zero before any of its pods became ready.")
	}
}

// tenantCapped reports whether the autoscaler's last decision for rev was
// cut by its namespace's tenant pod limits.
func tenantCapped(rev *servingv1alpha1.Revision) bool {
	a := rev.Status.Autoscaler
	return a != nil && a.Reason == servingv1alpha1.ReasonTenantQuotaExceeded
}

// Messages of the TenantQuotaExceeded conditions.
const (
	tenantCappedMessage = "The namespace is at its tenant pod limit (TenantPolicy maxPods or maxScaleUpPerMinute): " +
		"the autoscaler gives the revision fewer pods than it wants."
	tenantDeniedMessage = "The namespace is at its tenant pod limit (TenantPolicy maxPods or maxScaleUpPerMinute): " +
		"the revision waits for its first pod."
)

// deploymentFailure returns why the Deployment cannot make its pods: a
// ReplicaFailure (such as an exceeded quota) or a rollout past its progress
// deadline.
func deploymentFailure(dep *appsv1.Deployment) *problem {
	if p := replicaFailure(dep); p != nil {
		return p
	}
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentProgressing && c.Status == corev1.ConditionFalse && c.Reason == progressDeadlineExceeded {
			return &problem{reason: c.Reason, message: c.Message}
		}
	}
	return nil
}

// replicaFailure returns why the Deployment's ReplicaSet cannot create
// pods (such as an exceeded quota), or nil.
func replicaFailure(dep *appsv1.Deployment) *problem {
	for _, c := range dep.Status.Conditions {
		if c.Type == appsv1.DeploymentReplicaFailure && c.Status == corev1.ConditionTrue {
			return &problem{reason: c.Reason, message: c.Message}
		}
	}
	return nil
}

// progressDeadlineExceeded is the Deployment controller's reason for a
// rollout that stopped making progress.
const progressDeadlineExceeded = "ProgressDeadlineExceeded"

// settleReady makes Ready carry the most useful failure: a resource failure
// first (it is current, while a container failure may come from the last
// pods seen), then a container failure. Without it Ready would show
// whichever condition was marked last.
func settleReady(s *servingv1alpha1.RevisionStatus) {
	if c := s.GetCondition(servingv1alpha1.RevisionConditionResourcesAvailable); c.IsFalse() {
		s.MarkResourcesUnavailable(c.Reason, c.Message)
		return
	}
	if c := s.GetCondition(servingv1alpha1.RevisionConditionContainerHealthy); c.IsFalse() {
		s.MarkContainerUnhealthy(c.Reason, c.Message)
	}
}
