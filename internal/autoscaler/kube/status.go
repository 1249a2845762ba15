package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/autoscaler/decider"
	"github.com/wakefn/wake/internal/autoscaler/scaler"
)

// StatusRecorder shows the autoscaler's decisions on the Revisions; it
// implements scaler.StatusRecorder. It writes status.desiredReplicas and
// status.autoscaler with a JSON merge patch on the status subresource,
// without a resourceVersion, so it touches no other field and never
// conflicts with the Revision reconciler's status updates.
type StatusRecorder struct {
	// Client patches the Revisions' status.
	Client client.Client
	// Clock stamps lastDecisionTime; nil means the real clock.
	Clock clock.PassiveClock
}

var _ scaler.StatusRecorder = (*StatusRecorder)(nil)

// RecordDecision patches d onto the status of the Revision named rev. A
// Revision that no longer exists is not an error.
func (r *StatusRecorder) RecordDecision(ctx context.Context, rev types.NamespacedName, d decider.Decision) error {
	var now time.Time
	if r.Clock != nil {
		now = r.Clock.Now()
	} else {
		now = time.Now()
	}
	patch, err := json.Marshal(decisionPatch(d, now))
	if err != nil {
		return fmt.Errorf("encode status patch of revision %s: %w", rev, err)
	}
	obj := &servingv1alpha1.Revision{ObjectMeta: metav1.ObjectMeta{Namespace: rev.Namespace, Name: rev.Name}}
	err = r.Client.Status().Patch(ctx, obj, client.RawPatch(types.MergePatchType, patch))
	if err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("patch status of revision %s: %w", rev, err)
	}
	return nil
}

// The patch's own types, without omitempty: a merge patch must say
// panicMode false to clear a true.
type (
	revisionPatch struct {
		Status statusPatch `json:"status"`
	}
	statusPatch struct {
		DesiredReplicas int32           `json:"desiredReplicas"`
		Autoscaler      autoscalerPatch `json:"autoscaler"`
	}
	autoscalerPatch struct {
		StableConcurrency resource.Quantity `json:"stableConcurrency"`
		PanicConcurrency  resource.Quantity `json:"panicConcurrency"`
		PanicMode         bool              `json:"panicMode"`
		Reason            string            `json:"reason"`
		LastDecisionTime  metav1.Time       `json:"lastDecisionTime"`
	}
)

// decisionPatch is the merge patch that shows d, made at now.
func decisionPatch(d decider.Decision, now time.Time) revisionPatch {
	return revisionPatch{Status: statusPatch{
		DesiredReplicas: d.DesiredReplicas,
		Autoscaler: autoscalerPatch{
			StableConcurrency: concurrency(d.StableConcurrency),
			PanicConcurrency:  concurrency(d.PanicConcurrency),
			PanicMode:         d.Panic,
			Reason:            string(d.Reason),
			LastDecisionTime:  metav1.NewTime(now),
		},
	}}
}

// maxConcurrency keeps a Quantity's milli-units within int64.
const maxConcurrency = 1e12

// concurrency is a concurrency as a Quantity, to the thousandth.
func concurrency(v float64) resource.Quantity {
	if math.IsNaN(v) || v < 0 {
		v = 0
	}
	v = math.Min(v, maxConcurrency)
	return *resource.NewMilliQuantity(int64(math.Round(v*1000)), resource.DecimalSI)
}
