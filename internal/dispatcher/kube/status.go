package kube

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	"knative.dev/pkg/apis"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/dispatcher/consumers"
	"github.com/wakefn/wake/internal/dispatcher/delivery"
)

// StatusReconciler writes KafkaTrigger status, on the leader only, from
// what its consumer observes: the broker, the group, the topics, the
// deliveries and the lag.
type StatusReconciler struct {
	// Client reads KafkaTriggers and Functions from the cache and writes
	// status.
	Client client.Client
	// Recorder records events on triggers.
	Recorder events.EventRecorder
	// Registry holds the consumers.
	Registry *consumers.Registry
	// Resync is how often a trigger's status is refreshed.
	Resync time.Duration
}

// +kubebuilder:rbac:groups=serving.wake.dev,resources=kafkatriggers/status,verbs=get;update
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile runs the shared reconcile with the trigger's status phase.
func (r *StatusReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	return reconciler.Reconcile[servingv1alpha1.KafkaTrigger](ctx, r.Client, r.Recorder, req, r)
}

// ResyncPeriod is how often a trigger's status is refreshed: the lag and
// the consumer's state change without any watch event.
func (r *StatusReconciler) ResyncPeriod() time.Duration { return r.Resync }

// ReconcileKind sets kt's status.
func (r *StatusReconciler) ReconcileKind(ctx context.Context, kt *servingv1alpha1.KafkaTrigger) error {
	st := &kt.Status
	st.ConsumerGroup = kt.ConsumerGroupName()
	st.MarkDevelopmentBroker(kt.Spec.Broker == nil)
	err := r.markFunction(ctx, kt)
	key := types.NamespacedName{Namespace: kt.Namespace, Name: kt.Name}
	var p *Problem
	if errors.As(r.Registry.Problem(key), &p) {
		markProblem(st, p)
		return err
	}
	if s, ok := r.Registry.Status(key); ok {
		MarkConsumer(st, s)
	}
	return err
}

// markFunction sets FunctionReady from the Function's Ready condition.
func (r *StatusReconciler) markFunction(ctx context.Context, kt *servingv1alpha1.KafkaTrigger) error {
	var fn servingv1alpha1.Function
	err := r.Client.Get(ctx, types.NamespacedName{Namespace: kt.Namespace, Name: kt.Spec.Function}, &fn)
	switch {
	case apierrors.IsNotFound(err):
		kt.Status.MarkFunctionNotReady(servingv1alpha1.ReasonFunctionMissing, fmt.Sprintf("Function %s does not exist", kt.Spec.Function))
	case err != nil:
		return fmt.Errorf("get function %s/%s: %w", kt.Namespace, kt.Spec.Function, err)
	default:
		c := fn.Status.GetCondition(apis.ConditionReady)
		if c.IsTrue() {
			kt.Status.MarkFunctionReady()
			break
		}
		msg := fmt.Sprintf("Function %s is not Ready", kt.Spec.Function)
		if c != nil && c.Message != "" {
			msg += ": " + c.Message
		}
		if c.IsFalse() {
			kt.Status.MarkFunctionNotReady(servingv1alpha1.ReasonFunctionNotReady, msg)
		} else {
			kt.Status.MarkFunctionPending(msg)
		}
	}
	return nil
}

// markProblem shows why the trigger runs no consumer.
func markProblem(st *servingv1alpha1.KafkaTriggerStatus, p *Problem) {
	switch {
	case p.Condition == servingv1alpha1.KafkaTriggerConditionBrokerReachable:
		st.MarkBrokerUnreachable(p.Reason, p.Message)
		st.MarkGroupNotJoined(servingv1alpha1.ReasonJoining, "not consuming until the broker is reachable")
	case p.Waiting:
		st.MarkGroupNotJoined(servingv1alpha1.ReasonJoining, p.Message)
	default:
		st.MarkGroupNotJoined(p.Reason, p.Message)
	}
}

// MarkConsumer sets the conditions and lag a running consumer's state
// gives: a pure function of s.
func MarkConsumer(st *servingv1alpha1.KafkaTriggerStatus, s delivery.Status) {
	switch {
	case s.BrokerReachable:
		st.MarkBrokerReachable()
	case s.BrokerError != "":
		st.MarkBrokerUnreachable(servingv1alpha1.ReasonBrokerUnreachable, s.BrokerError)
	}
	switch {
	case len(s.MissingTopics) > 0:
		st.MarkGroupNotJoined(servingv1alpha1.ReasonTopicMissing, "topics do not exist on the broker: "+strings.Join(s.MissingTopics, ", "))
	case s.Joined:
		st.MarkGroupJoined()
	case s.GroupError != "":
		st.MarkGroupNotJoined(servingv1alpha1.ReasonJoining, s.GroupError)
	default:
		st.MarkGroupNotJoined(servingv1alpha1.ReasonJoining, "joining the consumer group")
	}
	if s.DeliveryError != "" {
		msg := s.DeliveryError
		if !s.FailingSince.IsZero() {
			msg += " (failing since " + s.FailingSince.UTC().Format(time.RFC3339) + ")"
		}
		st.MarkDeliveryFailing(msg)
	} else {
		st.MarkDelivering()
	}
	// The group's view covers every partition, whichever replica consumes
	// it; before the broker first gave it, the consumer's own partitions.
	parts := s.Group
	if len(parts) == 0 {
		parts = s.Partitions
	}
	st.Lag, st.Partitions = 0, nil
	for _, p := range parts {
		st.Lag += p.Lag
		st.Partitions = append(st.Partitions, servingv1alpha1.KafkaPartitionStatus{
			Topic: p.Topic, Partition: p.Partition, Committed: p.Committed, End: p.End, Lag: p.Lag,
		})
	}
	slices.SortFunc(st.Partitions, func(a, b servingv1alpha1.KafkaPartitionStatus) int {
		if a.Lag != b.Lag {
			return cmp.Compare(b.Lag, a.Lag)
		}
		if c := strings.Compare(a.Topic, b.Topic); c != 0 {
			return c
		}
		return cmp.Compare(a.Partition, b.Partition)
	})
	if len(st.Partitions) > servingv1alpha1.MaxKafkaPartitionsInStatus {
		st.Partitions = st.Partitions[:servingv1alpha1.MaxKafkaPartitionsInStatus]
	}
}

// Event reasons recorded on KafkaTriggers besides the conditions' own.
const (
	// ReasonConsuming: the trigger's consumer joined its group.
	ReasonConsuming = "Consuming"
)

// RecordChanges records events for what a status write changed: the
// embedded broker in use, the broker or topics lost, deliveries failing,
// consumption started.
func (r *StatusReconciler) RecordChanges(ctx context.Context, orig, kt *servingv1alpha1.KafkaTrigger) {
	logger := log.FromContext(ctx)
	before, after := orig.Status.GetCondition, kt.Status.GetCondition
	for _, t := range []apis.ConditionType{
		servingv1alpha1.KafkaTriggerConditionDevelopmentBroker, servingv1alpha1.KafkaTriggerConditionBrokerReachable,
		servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, servingv1alpha1.KafkaTriggerConditionDelivering,
	} {
		b, a := before(t), after(t)
		if a == nil || (b != nil && b.Status == a.Status && b.Reason == a.Reason) {
			continue
		}
		switch {
		case t == servingv1alpha1.KafkaTriggerConditionDevelopmentBroker && a.IsTrue():
			r.Recorder.Eventf(kt, nil, corev1.EventTypeWarning, a.Reason, "Consume", "%s", a.Message)
		case t == servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined && a.IsTrue():
			logger.Info("consuming", "group", kt.Status.ConsumerGroup)
			r.Recorder.Eventf(kt, nil, corev1.EventTypeNormal, ReasonConsuming, "Consume", "Consuming in group %s", kt.Status.ConsumerGroup)
		case a.IsFalse():
			logger.Info("trigger condition false", "condition", string(t), "reason", a.Reason, "message", a.Message)
			r.Recorder.Eventf(kt, nil, corev1.EventTypeWarning, a.Reason, "Consume", "%s", a.Message)
		}
	}
}
