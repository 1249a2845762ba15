package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	duckv1 "knative.dev/pkg/apis/duck/v1"
)

// KafkaTrigger delivers the messages of Kafka topics to a Function. Wake's
// shared dispatcher consumes the topics in a consumer group and sends each
// message to the Function through the activator, as an HTTP POST in
// CloudEvents binary mode, so a Function at zero is woken and its messages
// are held like any request. A message's offset is committed only after the
// Function answered 2xx or the message went to the dead-letter topic: every
// message is delivered at least once, twice only after a failure.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=kt,categories=wake
// +kubebuilder:printcolumn:name="Function",type=string,JSONPath=`.spec.function`
// +kubebuilder:printcolumn:name="Topics",type=string,JSONPath=`.spec.topics`
// +kubebuilder:printcolumn:name="Lag",type=integer,JSONPath=`.status.lag`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type KafkaTrigger struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// Spec says what is consumed and how it is delivered.
	Spec KafkaTriggerSpec `json:"spec"`
	// Status is what the dispatcher observed.
	// +optional
	Status KafkaTriggerStatus `json:"status,omitempty"`
}

// KafkaTriggerSpec says which topics feed which Function, and how.
// +kubebuilder:validation:XValidation:rule="!has(self.deadLetterTopic) || !(self.deadLetterTopic in self.topics)",message="the dead-letter topic must not be one of the topics consumed",fieldPath=".deadLetterTopic"
// +kubebuilder:validation:XValidation:rule="!has(self.replyTopic) || !(self.replyTopic in self.topics)",message="the reply topic must not be one of the topics consumed: each reply would be delivered again",fieldPath=".replyTopic"
type KafkaTriggerSpec struct {
	// Function is the name of the Function, in the trigger's namespace,
	// that receives the messages: a DNS-1035 label of at most 57
	// characters.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=57
	// +kubebuilder:validation:XValidation:rule="self.matches('^[a-z]([-a-z0-9]*[a-z0-9])?$')",message="must be a Function name: a DNS-1035 label (lowercase letters, digits and '-', starting with a letter and ending with a letter or digit)"
	Function string `json:"function"`

	// Topics are the Kafka topics consumed, at most 16.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +listType=set
	Topics []KafkaTopic `json:"topics"`

	// ConsumerGroup is the Kafka consumer group the dispatcher joins, and
	// under which the offsets are committed. Defaults to
	// "wake.{namespace}.{name}".
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=249
	// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]+$`
	ConsumerGroup string `json:"consumerGroup,omitempty"`

	// Broker is the Kafka cluster. Unset, the trigger uses Wake's embedded
	// development broker (wake-broker in wake-system, installed by the
	// local configuration only), and its DevelopmentBroker condition says
	// so.
	// +optional
	Broker *KafkaBroker `json:"broker,omitempty"`

	// StartingOffset is where a consumer group that has no committed offset
	// starts in each partition: Latest (the default) or Earliest.
	// +optional
	// +kubebuilder:default=Latest
	StartingOffset KafkaStartingOffset `json:"startingOffset,omitempty"`

	// Delivery sets ordering, concurrency, batching and the time one
	// delivery may take.
	// +optional
	Delivery KafkaDelivery `json:"delivery,omitempty"`

	// Retry sets how often, and how far apart, a failed delivery is tried
	// again before the message goes to the dead-letter topic.
	// +optional
	Retry KafkaRetry `json:"retry,omitempty"`

	// DeadLetterTopic receives, on the same broker, each message whose
	// deliveries all failed, with headers saying where it came from and
	// why (wake-dlq-topic, wake-dlq-partition, wake-dlq-offset,
	// wake-dlq-error, wake-dlq-attempts). Unset, a message that cannot be
	// delivered is tried again at retry.maxBackoff until it is: nothing
	// after it is committed, and the Delivering condition says so.
	// +optional
	DeadLetterTopic KafkaTopic `json:"deadLetterTopic,omitempty"`

	// ReplyTopic, if set, receives, on the same broker, the body of every
	// 2xx response that has one, keyed by the message's key.
	// +optional
	ReplyTopic KafkaTopic `json:"replyTopic,omitempty"`
}

// KafkaTopic is a Kafka topic name: 1 to 249 letters, digits, '.', '_' and
// '-', and neither "." nor "..".
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=249
// +kubebuilder:validation:Pattern=`^[a-zA-Z0-9._-]+$`
// +kubebuilder:validation:XValidation:rule="self != '.' && self != '..'",message="must not be '.' or '..'"
type KafkaTopic string

// KafkaStartingOffset is where a new consumer group starts.
// +kubebuilder:validation:Enum=Earliest;Latest
type KafkaStartingOffset string

// Starting offsets.
const (
	// KafkaStartingOffsetEarliest starts at the oldest message kept.
	KafkaStartingOffsetEarliest KafkaStartingOffset = "Earliest"
	// KafkaStartingOffsetLatest starts with the messages produced after
	// the group first joined.
	KafkaStartingOffsetLatest KafkaStartingOffset = "Latest"
)

// KafkaBroker is a Kafka cluster and how to authenticate to it.
type KafkaBroker struct {
	// BootstrapServers are host:port addresses of some of the cluster's
	// brokers, at most 16.
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=16
	// +kubebuilder:validation:items:MaxLength=261
	// +kubebuilder:validation:items:Pattern=`^[a-zA-Z0-9]([-a-zA-Z0-9.]*[a-zA-Z0-9])?:[0-9]{1,5}$`
	// +listType=set
	BootstrapServers []string `json:"bootstrapServers"`

	// SASL, if set, authenticates the dispatcher with a user name and
	// password.
	// +optional
	SASL *KafkaSASL `json:"sasl,omitempty"`

	// TLS, if set, encrypts the connections to the brokers.
	// +optional
	TLS *KafkaTLS `json:"tls,omitempty"`
}

// KafkaSASL authenticates with SASL.
type KafkaSASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	// +kubebuilder:validation:Enum=PLAIN;SCRAM-SHA-256;SCRAM-SHA-512
	Mechanism KafkaSASLMechanism `json:"mechanism"`

	// SecretName names a Secret in the trigger's namespace with the keys
	// "username" and "password".
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="must be a Secret name: a lowercase DNS subdomain"
	SecretName string `json:"secretName"`
}

// KafkaSASLMechanism is a SASL mechanism.
type KafkaSASLMechanism string

// SASL mechanisms.
const (
	// KafkaSASLPlain sends the password as is (use it with TLS).
	KafkaSASLPlain KafkaSASLMechanism = "PLAIN"
	// KafkaSASLSCRAMSHA256 is SCRAM with SHA-256.
	KafkaSASLSCRAMSHA256 KafkaSASLMechanism = "SCRAM-SHA-256"
	// KafkaSASLSCRAMSHA512 is SCRAM with SHA-512.
	KafkaSASLSCRAMSHA512 KafkaSASLMechanism = "SCRAM-SHA-512"
)

// KafkaTLS sets up TLS to the brokers.
type KafkaTLS struct {
	// SecretName, if set, names a Secret in the trigger's namespace with
	// PEM data: "ca.crt", the authorities that sign the brokers'
	// certificates (the system's when absent), and "tls.crt" with
	// "tls.key", a client certificate (none when both are absent).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="!format.dns1123Subdomain().validate(self).hasValue()",message="must be a Secret name: a lowercase DNS subdomain"
	SecretName string `json:"secretName,omitempty"`
}

// KafkaDelivery sets how messages are delivered.
type KafkaDelivery struct {
	// Ordering is PerPartition (the default): each partition's messages are
	// delivered one at a time in offset order, the partitions in parallel;
	// or Unordered: up to maxInFlight messages at once, from any partition.
	// +optional
	// +kubebuilder:default=PerPartition
	Ordering KafkaOrdering `json:"ordering,omitempty"`

	// MaxInFlight bounds the deliveries in flight at once per dispatcher
	// replica (the partitions in PerPartition order bound them too).
	// Defaults to 10.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxInFlight *int32 `json:"maxInFlight,omitempty"`

	// MaxBatch is the most messages of one partition sent in one request.
	// 1 (the default) sends each message alone in CloudEvents binary mode;
	// above 1 sends batches in CloudEvents structured batch mode
	// (application/cloudevents-batch+json).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=1000
	MaxBatch *int32 `json:"maxBatch,omitempty"`

	// Timeout bounds one delivery attempt, including the time a Function
	// at zero takes to wake. Defaults to 30s; between 1s and 15m.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$')",message="timeout must be a duration such as 30s or 1m"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || (duration(self) >= duration('1s') && duration(self) <= duration('15m'))",message="timeout must be between 1s and 15m"
	Timeout *metav1.Duration `json:"timeout,omitempty"`
}

// KafkaOrdering is the order in which messages are delivered.
// +kubebuilder:validation:Enum=PerPartition;Unordered
type KafkaOrdering string

// Orderings.
const (
	// KafkaOrderingPerPartition delivers one message (or batch) of a
	// partition at a time, in offset order.
	KafkaOrderingPerPartition KafkaOrdering = "PerPartition"
	// KafkaOrderingUnordered delivers up to maxInFlight messages at once.
	KafkaOrderingUnordered KafkaOrdering = "Unordered"
)

// KafkaRetry sets how failed deliveries are tried again. A delivery fails
// on a connection error, a timeout, or an answer of 408, 429 or 5xx; any
// other 4xx answer is final and sends the message to the dead-letter topic
// at once.
// +kubebuilder:validation:XValidation:rule="!has(self.minBackoff) || !has(self.maxBackoff) || !self.minBackoff.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || !self.maxBackoff.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || duration(self.minBackoff) <= duration(self.maxBackoff)",message="minBackoff must not be greater than maxBackoff",fieldPath=".minBackoff"
type KafkaRetry struct {
	// Attempts is how many times a message is tried in all before it goes
	// to the dead-letter topic. Defaults to 3.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=100
	Attempts *int32 `json:"attempts,omitempty"`

	// MinBackoff is the pause after the first failed attempt; it doubles
	// after each further one, with jitter, up to MaxBackoff. Defaults to
	// 1s; between 10ms and 1h.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$')",message="minBackoff must be a duration such as 1s or 100ms"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || (duration(self) >= duration('10ms') && duration(self) <= duration('1h'))",message="minBackoff must be between 10ms and 1h"
	MinBackoff *metav1.Duration `json:"minBackoff,omitempty"`

	// MaxBackoff bounds the pause between attempts. Defaults to 60s;
	// between 10ms and 1h.
	// +optional
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=64
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$')",message="maxBackoff must be a duration such as 1m or 30s"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|(([0-9]{1,5}([.][0-9]{0,9})?|[.][0-9]{1,9})(ns|us|µs|μs|ms|s|m|h)){1,6})$') || (duration(self) >= duration('10ms') && duration(self) <= duration('1h'))",message="maxBackoff must be between 10ms and 1h"
	MaxBackoff *metav1.Duration `json:"maxBackoff,omitempty"`
}

// KafkaTriggerStatus is what the dispatcher observed: the conditions,
// the broker and group in use, and how far behind the trigger is.
type KafkaTriggerStatus struct {
	duckv1.Status `json:",inline"`

	// ConsumerGroup is the consumer group in use.
	// +optional
	ConsumerGroup string `json:"consumerGroup,omitempty"`

	// Lag is the messages produced to the topics and not yet committed,
	// summed over all partitions.
	// +optional
	Lag int64 `json:"lag"`

	// Partitions are the lag of each partition, at most
	// MaxKafkaPartitionsInStatus of them (the ones furthest behind).
	// +optional
	Partitions []KafkaPartitionStatus `json:"partitions,omitempty"`
}

// MaxKafkaPartitionsInStatus bounds KafkaTriggerStatus.Partitions.
const MaxKafkaPartitionsInStatus = 100

// KafkaPartitionStatus is one partition's progress.
type KafkaPartitionStatus struct {
	// Topic is the partition's topic.
	Topic string `json:"topic"`
	// Partition is the partition's number.
	Partition int32 `json:"partition"`
	// Committed is the group's committed offset: the next message to
	// deliver (-1 when the group has committed none).
	Committed int64 `json:"committed"`
	// End is the offset the next message produced will have.
	End int64 `json:"end"`
	// Lag is End minus Committed (End minus the start when nothing is
	// committed).
	Lag int64 `json:"lag"`
}

// KafkaTriggerList is a list of KafkaTriggers.
//
// +kubebuilder:object:root=true
type KafkaTriggerList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// Items are the KafkaTriggers.
	Items []KafkaTrigger `json:"items"`
}

func init() {
	registerTypes(&KafkaTrigger{}, &KafkaTriggerList{})
}
