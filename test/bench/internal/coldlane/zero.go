package coldlane

import (
	"context"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
)

// PodsLeft says which of a Deployment's pods keep AtZero waiting.
type PodsLeft int

const (
	// AnyPod waits until every pod is gone, terminating ones too.
	AnyPod PodsLeft = iota
	// LivePods waits only for the pods not being deleted: a terminating
	// pod serves nothing (Knative's queue-proxy keeps one for 30 s after
	// SIGTERM).
	LivePods
)

// AtZero returns a poll.Until check that Deployment ns/name wants and has
// no replicas and has no pod left that left counts. An API error ends the
// wait.
func AtZero(c client.Reader, ns, name string, left PodsLeft) func(context.Context) error {
	return func(ctx context.Context) error {
		d := &appsv1.Deployment{}
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, d); err != nil {
			return poll.Stop(err)
		}
		if d.Spec.Replicas == nil || *d.Spec.Replicas != 0 || d.Status.Replicas != 0 {
			return fmt.Errorf("replicas spec=%v status=%d", ptr.Deref(d.Spec.Replicas, -1), d.Status.Replicas)
		}
		sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
		if err != nil {
			return poll.Stop(err)
		}
		pods := &corev1.PodList{}
		if err := c.List(ctx, pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: sel}); err != nil {
			return poll.Stop(err)
		}
		for _, p := range pods.Items {
			if left == AnyPod || p.DeletionTimestamp == nil {
				return fmt.Errorf("pod %s left", p.Name)
			}
		}
		return nil
	}
}
