package v1alpha1

import (
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// Condition types of KafkaTriggers. Ready is True when the first three are.
const (
	// KafkaTriggerConditionBrokerReachable is True when the dispatcher
	// reaches the broker, with the trigger's credentials.
	KafkaTriggerConditionBrokerReachable apis.ConditionType = "BrokerReachable"
	// KafkaTriggerConditionConsumerGroupJoined is True when every topic
	// exists and the dispatcher consumes them in the consumer group.
	KafkaTriggerConditionConsumerGroupJoined apis.ConditionType = "ConsumerGroupJoined"
	// KafkaTriggerConditionFunctionReady is True when the Function exists
	// and is Ready.
	KafkaTriggerConditionFunctionReady apis.ConditionType = "FunctionReady"
	// KafkaTriggerConditionDelivering is False, with severity Warning,
	// while a message keeps failing to be delivered; its message says which
	// and why. Informational: Ready is not affected.
	KafkaTriggerConditionDelivering apis.ConditionType = "Delivering"
	// KafkaTriggerConditionDevelopmentBroker is True, with severity
	// Warning, when the trigger uses Wake's embedded development broker,
	// which keeps one copy of the data and is not for production.
	// Informational: Ready is not affected.
	KafkaTriggerConditionDevelopmentBroker apis.ConditionType = "DevelopmentBroker"
)

// Reasons of KafkaTrigger conditions.
const (
	// ReasonBrokerUnreachable means the dispatcher cannot reach the broker
	// or is refused by it; the message is the client's error.
	ReasonBrokerUnreachable = "BrokerUnreachable"
	// ReasonSecretInvalid means a Secret the trigger names lacks a key it
	// needs or holds data that does not parse.
	ReasonSecretInvalid = "SecretInvalid"
	// ReasonTopicMissing means a topic the trigger consumes does not exist
	// on the broker.
	ReasonTopicMissing = "TopicMissing"
	// ReasonJoining means the dispatcher is joining the consumer group.
	ReasonJoining = "Joining"
	// ReasonFunctionMissing means the trigger's Function does not exist.
	ReasonFunctionMissing = "FunctionMissing"
	// ReasonFunctionNotReady means the trigger's Function is not Ready.
	ReasonFunctionNotReady = "FunctionNotReady"
	// ReasonDeliveryFailing means a message has failed every delivery
	// attempt so far.
	ReasonDeliveryFailing = "DeliveryFailing"
	// ReasonEmbeddedBroker means the trigger names no broker and uses the
	// embedded development broker.
	ReasonEmbeddedBroker = "EmbeddedBroker"
	// ReasonTooManyTriggers means the trigger's namespace has as many
	// consumed triggers as the dispatcher allows one namespace; the oldest
	// are consumed, this one is not.
	ReasonTooManyTriggers = "TooManyTriggers"
)

// Defaults of KafkaTriggerSpec fields.
const (
	// DefaultKafkaMaxInFlight is KafkaDelivery.MaxInFlight's default.
	DefaultKafkaMaxInFlight = 10
	// DefaultKafkaMaxBatch is KafkaDelivery.MaxBatch's default.
	DefaultKafkaMaxBatch = 1
	// DefaultKafkaTimeout is KafkaDelivery.Timeout's default.
	DefaultKafkaTimeout = 30 * time.Second
	// DefaultKafkaAttempts is KafkaRetry.Attempts' default.
	DefaultKafkaAttempts = 3
	// DefaultKafkaMinBackoff is KafkaRetry.MinBackoff's default.
	DefaultKafkaMinBackoff = time.Second
	// DefaultKafkaMaxBackoff is KafkaRetry.MaxBackoff's default.
	DefaultKafkaMaxBackoff = time.Minute
)

// ConsumerGroupName is the consumer group the trigger joins: its
// spec.consumerGroup, else "wake.{namespace}.{name}".
func (t *KafkaTrigger) ConsumerGroupName() string {
	if t.Spec.ConsumerGroup != "" {
		return t.Spec.ConsumerGroup
	}
	return "wake." + t.Namespace + "." + t.Name
}

// MaxInFlightOrDefault is Delivery.MaxInFlight or its default.
func (d KafkaDelivery) MaxInFlightOrDefault() int {
	return int(ptr.Deref(d.MaxInFlight, DefaultKafkaMaxInFlight))
}

// MaxBatchOrDefault is Delivery.MaxBatch or its default.
func (d KafkaDelivery) MaxBatchOrDefault() int {
	return int(ptr.Deref(d.MaxBatch, DefaultKafkaMaxBatch))
}

// TimeoutOrDefault is Delivery.Timeout or its default.
func (d KafkaDelivery) TimeoutOrDefault() time.Duration {
	return ptr.Deref(d.Timeout, metav1.Duration{Duration: DefaultKafkaTimeout}).Duration
}

// AttemptsOrDefault is Retry.Attempts or its default.
func (r KafkaRetry) AttemptsOrDefault() int {
	return int(ptr.Deref(r.Attempts, DefaultKafkaAttempts))
}

// BackoffOrDefault is Retry.MinBackoff and Retry.MaxBackoff, or their
// defaults.
func (r KafkaRetry) BackoffOrDefault() (lowest, highest time.Duration) {
	return ptr.Deref(r.MinBackoff, metav1.Duration{Duration: DefaultKafkaMinBackoff}).Duration,
		ptr.Deref(r.MaxBackoff, metav1.Duration{Duration: DefaultKafkaMaxBackoff}).Duration
}

// kafkaTriggerCondSet: Ready follows BrokerReachable, ConsumerGroupJoined
// and FunctionReady; Delivering and DevelopmentBroker are informational.
var kafkaTriggerCondSet = apis.NewLivingConditionSet(
	KafkaTriggerConditionBrokerReachable,
	KafkaTriggerConditionConsumerGroupJoined,
	KafkaTriggerConditionFunctionReady,
)

// GetConditionSet returns the KafkaTrigger's condition set.
func (*KafkaTrigger) GetConditionSet() apis.ConditionSet { return kafkaTriggerCondSet }

// GetStatus returns the KafkaTrigger's conditions and observedGeneration.
func (t *KafkaTrigger) GetStatus() *duckv1.Status { return &t.Status.Status }

// GetGroupVersionKind returns the KafkaTrigger's kind.
func (*KafkaTrigger) GetGroupVersionKind() schema.GroupVersionKind {
	return GroupVersion.WithKind("KafkaTrigger")
}

// InitializeConditions sets every unset condition to Unknown.
func (s *KafkaTriggerStatus) InitializeConditions() {
	kafkaTriggerCondSet.Manage(s).InitializeConditions()
}

// MarkBrokerReachable records that the dispatcher reaches the broker.
func (s *KafkaTriggerStatus) MarkBrokerReachable() {
	kafkaTriggerCondSet.Manage(s).MarkTrue(KafkaTriggerConditionBrokerReachable)
}

// MarkBrokerUnreachable records why the dispatcher cannot use the broker
// (ReasonBrokerUnreachable, ReasonSecretInvalid, ReasonSecretMissing).
func (s *KafkaTriggerStatus) MarkBrokerUnreachable(reason, message string) {
	kafkaTriggerCondSet.Manage(s).MarkFalse(KafkaTriggerConditionBrokerReachable, reason, "%s", message)
}

// MarkGroupJoined records that the dispatcher consumes in the group.
func (s *KafkaTriggerStatus) MarkGroupJoined() {
	kafkaTriggerCondSet.Manage(s).MarkTrue(KafkaTriggerConditionConsumerGroupJoined)
}

// MarkGroupNotJoined records why the dispatcher does not consume (yet):
// ReasonTopicMissing is False, ReasonJoining Unknown.
func (s *KafkaTriggerStatus) MarkGroupNotJoined(reason, message string) {
	m := kafkaTriggerCondSet.Manage(s)
	if reason == ReasonJoining {
		m.MarkUnknown(KafkaTriggerConditionConsumerGroupJoined, reason, "%s", message)
		return
	}
	m.MarkFalse(KafkaTriggerConditionConsumerGroupJoined, reason, "%s", message)
}

// MarkFunctionReady records that the Function is Ready.
func (s *KafkaTriggerStatus) MarkFunctionReady() {
	kafkaTriggerCondSet.Manage(s).MarkTrue(KafkaTriggerConditionFunctionReady)
}

// MarkFunctionNotReady records that the Function is missing
// (ReasonFunctionMissing) or not Ready (ReasonFunctionNotReady).
func (s *KafkaTriggerStatus) MarkFunctionNotReady(reason, message string) {
	kafkaTriggerCondSet.Manage(s).MarkFalse(KafkaTriggerConditionFunctionReady, reason, "%s", message)
}

// MarkFunctionPending records that the Function is not Ready yet, but has
// not failed either (its Ready is Unknown: its first revision is starting).
func (s *KafkaTriggerStatus) MarkFunctionPending(message string) {
	kafkaTriggerCondSet.Manage(s).MarkUnknown(KafkaTriggerConditionFunctionReady, ReasonFunctionNotReady, "%s", message)
}

// MarkDelivering records that no message is failing.
func (s *KafkaTriggerStatus) MarkDelivering() {
	kafkaTriggerCondSet.Manage(s).SetCondition(apis.Condition{
		Type: KafkaTriggerConditionDelivering, Status: corev1.ConditionTrue, Severity: apis.ConditionSeverityWarning,
	})
}

// MarkDeliveryFailing records the message that keeps failing, and why.
func (s *KafkaTriggerStatus) MarkDeliveryFailing(message string) {
	kafkaTriggerCondSet.Manage(s).SetCondition(apis.Condition{
		Type: KafkaTriggerConditionDelivering, Status: corev1.ConditionFalse, Severity: apis.ConditionSeverityWarning,
		Reason: ReasonDeliveryFailing, Message: message,
	})
}

// MarkDevelopmentBroker records whether the trigger uses the embedded
// development broker; the condition is removed when it does not.
func (s *KafkaTriggerStatus) MarkDevelopmentBroker(embedded bool) {
	m := kafkaTriggerCondSet.Manage(s)
	if !embedded {
		_ = m.ClearCondition(KafkaTriggerConditionDevelopmentBroker)
		return
	}
	m.SetCondition(apis.Condition{
		Type: KafkaTriggerConditionDevelopmentBroker, Status: corev1.ConditionTrue, Severity: apis.ConditionSeverityWarning,
		Reason: ReasonEmbeddedBroker, Message: "the embedded broker is for development: it keeps one copy of the data; set spec.broker to a Kafka cluster for production",
	})
}
