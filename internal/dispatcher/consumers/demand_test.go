package consumers

import (
	"testing"

	"github.com/wakefn/wake/internal/dispatcher/delivery"
)

func TestPending(t *testing.T) {
	three := []delivery.TopicPartition{{Topic: "t", Partition: 0}, {Topic: "t", Partition: 1}, {Topic: "t", Partition: 2}}
	tests := []struct {
		name         string
		cfg          delivery.Config
		st           delivery.Status
		wantCapacity int
		wantPending  float64
	}{
		{"idle", delivery.Config{Ordered: true, MaxInFlight: 10}, delivery.Status{Assigned: three}, 3, 0},
		{"ordered backlog is capped at the partitions", delivery.Config{Ordered: true, MaxInFlight: 10},
			delivery.Status{Assigned: three, Backlog: 10000}, 3, 3},
		{"ordered, in flight already counted by the activators", delivery.Config{Ordered: true, MaxInFlight: 10},
			delivery.Status{Assigned: three, Backlog: 10000, InFlight: 3}, 3, 0},
		{"unordered backlog is capped at maxInFlight", delivery.Config{MaxInFlight: 50},
			delivery.Status{Assigned: three, Backlog: 10000, InFlight: 20}, 50, 30},
		{"unordered small backlog", delivery.Config{MaxInFlight: 50}, delivery.Status{Assigned: three, Backlog: 4}, 50, 4},
		{"batches count as one request", delivery.Config{MaxInFlight: 100, MaxBatch: 10},
			delivery.Status{Assigned: three, Backlog: 95, InFlight: 10}, 10, 9},
		{"ordered cap never above maxInFlight", delivery.Config{Ordered: true, MaxInFlight: 2},
			delivery.Status{Assigned: three, Backlog: 100}, 2, 2},
		{"no partitions assigned", delivery.Config{Ordered: true, MaxInFlight: 10}, delivery.Status{Backlog: 100}, 0, 0},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Capacity(tc.cfg, tc.st); got != tc.wantCapacity {
				t.Errorf("Capacity = %d, want %d", got, tc.wantCapacity)
			}
			if got := Pending(tc.cfg, tc.st); got != tc.wantPending {
				t.Errorf("Pending = %v, want %v", got, tc.wantPending)
			}
		})
	}
}
