package kube

import (
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/dispatcher/delivery"
)

func TestMarkConsumer(t *testing.T) {
	since := time.Date(2026, 12, 3, 6, 0, 0, 0, time.UTC)
	tests := []struct {
		name             string
		st               delivery.Status
		broker, group    corev1.ConditionStatus
		groupReason      string
		delivering       corev1.ConditionStatus
		deliveringSuffix string
		lag              int64
		partitions       []int32
	}{
		{name: "starting", broker: corev1.ConditionUnknown, group: corev1.ConditionUnknown, groupReason: servingv1alpha1.ReasonJoining, delivering: corev1.ConditionTrue},
		{name: "broker refused", st: delivery.Status{BrokerError: "dial tcp: connection refused"},
			broker: corev1.ConditionFalse, group: corev1.ConditionUnknown, groupReason: servingv1alpha1.ReasonJoining, delivering: corev1.ConditionTrue},
		{name: "topic missing", st: delivery.Status{BrokerReachable: true, Joined: true, MissingTopics: []string{"a", "b"}},
			broker: corev1.ConditionTrue, group: corev1.ConditionFalse, groupReason: servingv1alpha1.ReasonTopicMissing, delivering: corev1.ConditionTrue},
		{name: "consuming with lag, furthest behind first", st: delivery.Status{BrokerReachable: true, Joined: true, Backlog: 7, Partitions: []delivery.PartitionStatus{
			{Topic: "t", Partition: 0, Committed: 5, End: 6, Lag: 1}, {Topic: "t", Partition: 1, Committed: 0, End: 6, Lag: 6}, {Topic: "t", Partition: 2, Committed: 3, End: 3}}},
			broker: corev1.ConditionTrue, group: corev1.ConditionTrue, delivering: corev1.ConditionTrue, lag: 7, partitions: []int32{1, 0, 2}},
		{name: "the group's view wins", st: delivery.Status{BrokerReachable: true, Joined: true,
			Partitions: []delivery.PartitionStatus{{Topic: "t", Partition: 0, Lag: 1}},
			Group:      []delivery.PartitionStatus{{Topic: "t", Partition: 0, Lag: 1}, {Topic: "t", Partition: 1, Lag: 4}}},
			broker: corev1.ConditionTrue, group: corev1.ConditionTrue, delivering: corev1.ConditionTrue, lag: 5, partitions: []int32{1, 0}},
		{name: "delivery failing", st: delivery.Status{BrokerReachable: true, Joined: true, DeliveryError: "HTTP 500 for offset 3 of t/0", FailingSince: since},
			broker: corev1.ConditionTrue, group: corev1.ConditionTrue, delivering: corev1.ConditionFalse, deliveringSuffix: "(failing since 2026-12-03T06:00:00Z)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var st servingv1alpha1.KafkaTriggerStatus
			st.InitializeConditions()
			MarkConsumer(&st, tc.st)
			check := func(ct apis.ConditionType, want corev1.ConditionStatus, reason string) *apis.Condition {
				c := st.GetCondition(ct)
				if c == nil || c.Status != want || (reason != "" && c.Reason != reason) {
					t.Errorf("%s = %+v, want %s %s", ct, c, want, reason)
				}
				return c
			}
			check(servingv1alpha1.KafkaTriggerConditionBrokerReachable, tc.broker, "")
			check(servingv1alpha1.KafkaTriggerConditionConsumerGroupJoined, tc.group, tc.groupReason)
			if c := check(servingv1alpha1.KafkaTriggerConditionDelivering, tc.delivering, ""); c != nil && !strings.HasSuffix(c.Message, tc.deliveringSuffix) {
				t.Errorf("Delivering message %q, want it to end with %q", c.Message, tc.deliveringSuffix)
			}
			if st.Lag != tc.lag || len(st.Partitions) != len(tc.partitions) {
				t.Fatalf("lag %d partitions %+v, want %d and %v", st.Lag, st.Partitions, tc.lag, tc.partitions)
			}
			for i, p := range tc.partitions {
				if st.Partitions[i].Partition != p {
					t.Errorf("partitions %+v, want order %v", st.Partitions, tc.partitions)
				}
			}
		})
	}
}
