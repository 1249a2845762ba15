package revision

import (
	"testing"

	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// tenantCappedBy sets status.autoscaler.reason as the autoscaler patches it
// when its namespace's tenant limits cut its decision.
func tenantCappedBy(r *servingv1alpha1.Revision) {
	r.Status.Autoscaler = &servingv1alpha1.AutoscalerStatus{Reason: servingv1alpha1.ReasonTenantQuotaExceeded}
}

// TestReconcileTenantQuota: a revision that the autoscaler denies pods for
// its namespace's tenant limits says so; one that has served stays Ready,
// so that its Function's traffic does not move.
func TestReconcileTenantQuota(t *testing.T) {
	rev := newRevision()
	served := withConditions("ContainerHealthy=True", "ResourcesAvailable=True")
	runReconcileCases(t, []reconcileCase{{
		name:           "a serving revision denied more pods keeps serving and says so",
		rev:            newRevision(served, tenantCappedBy),
		objs:           []client.Object{deployment(rev, replicas(2, 2)), service(rev)},
		wantConditions: withPodsCreated(cond("True", "True", "True", "True"), "False/TenantQuotaExceeded"),
		wantActual:     ptr.To[int32](2),
		wantReplicas:   ptr.To[int32](2),
		wantEvents:     []string{"Warning TenantQuotaExceeded " + tenantCappedMessage},
	}, {
		name:           "a revision at zero that has served, denied its pod, stays ready and says so",
		rev:            newRevision(served, tenantCappedBy),
		objs:           []client.Object{deployment(rev, replicas(0, 0)), service(rev)},
		wantConditions: withPodsCreated(cond("True", "True", "True", "False/ScaledToZero"), "False/TenantQuotaExceeded"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
		wantEvents:     []string{"Warning TenantQuotaExceeded " + tenantCappedMessage},
	}, {
		name:           "a new revision denied its first pod is not available",
		rev:            newRevision(tenantCappedBy),
		objs:           []client.Object{deployment(rev, replicas(0, 0)), service(rev)},
		wantConditions: cond("False/TenantQuotaExceeded", "False/TenantQuotaExceeded", "Unknown", "False/ScaledToZero"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
		wantEvents:     []string{"Warning TenantQuotaExceeded " + tenantDeniedMessage},
	}, {
		name: "a denial that ends leaves no trace",
		rev: newRevision(served, func(r *servingv1alpha1.Revision) {
			r.Status.MarkPodsNotCreated(servingv1alpha1.ReasonTenantQuotaExceeded, tenantCappedMessage)
			r.Status.Autoscaler = &servingv1alpha1.AutoscalerStatus{Reason: "Stable"}
		}),
		objs:           []client.Object{deployment(rev, replicas(2, 2)), service(rev)},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](2),
		wantReplicas:   ptr.To[int32](2),
	}, {
		name: "a denial already shown is not recorded again",
		rev: newRevision(served, tenantCappedBy, func(r *servingv1alpha1.Revision) {
			r.Status.MarkPodsNotCreated(servingv1alpha1.ReasonTenantQuotaExceeded, tenantCappedMessage)
		}),
		objs:           []client.Object{deployment(rev, replicas(2, 2)), service(rev)},
		wantConditions: withPodsCreated(cond("True", "True", "True", "True"), "False/TenantQuotaExceeded"),
		wantActual:     ptr.To[int32](2),
		wantReplicas:   ptr.To[int32](2),
	}})
}
