package scaler

import (
	"slices"
	"testing"
	"time"
)

func TestAllocate(t *testing.T) {
	// c is a claim the scaler granted its current scale before.
	c := func(current, ready, want int32) claim {
		return claim{current: current, ready: ready, want: want, prev: current}
	}
	// fresh is a claim without a previous grant: a new revision, or any
	// after the controller restarted.
	fresh := func(current, ready, want int32) claim {
		return claim{current: current, ready: ready, want: want, prev: -1}
	}
	tests := []struct {
		name    string
		claims  []claim
		maxPods int32
		budget  int32
		want    []int32
	}{
		{name: "no limit: what each wants", claims: []claim{c(1, 1, 5), c(0, 0, 3), c(4, 4, 0)}, budget: -1, want: []int32{5, 3, 0}},
		{name: "under the cap: unchanged", claims: []claim{c(1, 1, 2), c(0, 0, 1)}, maxPods: 3, budget: -1, want: []int32{2, 1}},
		{name: "exactly the cap", claims: []claim{c(1, 1, 2), c(1, 1, 2)}, maxPods: 4, budget: -1, want: []int32{2, 2}},
		{
			name:    "a revision keeps its pods: the other does not take them",
			claims:  []claim{c(3, 3, 3), c(1, 1, 5)},
			maxPods: 4, budget: -1, want: []int32{3, 1},
		},
		{
			name:    "growth goes max-min fairly",
			claims:  []claim{c(1, 1, 10), c(1, 1, 10), c(3, 3, 10)},
			maxPods: 9, budget: -1, want: []int32{3, 3, 3},
		},
		{
			name:    "growth left over goes to the first at the lowest level",
			claims:  []claim{c(1, 1, 10), c(1, 1, 10), c(1, 1, 10)},
			maxPods: 5, budget: -1, want: []int32{2, 2, 1},
		},
		{
			name:    "a cold start comes before a scale-out",
			claims:  []claim{c(1, 1, 8), c(0, 0, 1)},
			maxPods: 2, budget: -1, want: []int32{1, 1},
		},
		{
			name:    "cold starts first, in order, when only some fit",
			claims:  []claim{c(1, 1, 8), c(0, 0, 2), c(0, 0, 1), c(0, 0, 1)},
			maxPods: 3, budget: -1, want: []int32{1, 1, 1, 0},
		},
		{
			name:    "at the cap a cold start waits: nobody loses a pod",
			claims:  []claim{c(2, 2, 2), c(0, 0, 1)},
			maxPods: 2, budget: -1, want: []int32{2, 0},
		},
		{
			name:    "a scale-down frees room for others at once",
			claims:  []claim{c(2, 2, 1), c(0, 0, 1)},
			maxPods: 2, budget: -1, want: []int32{1, 1},
		},
		{
			name:    "cap lowered below use: the largest give pods back first",
			claims:  []claim{c(6, 6, 6), c(2, 2, 2), c(1, 1, 1)},
			maxPods: 5, budget: -1, want: []int32{2, 2, 1},
		},
		{
			name:    "over the cap, a new revision's ready initial pods go before pods granted before",
			claims:  []claim{fresh(1, 1, 1), c(1, 1, 1)},
			maxPods: 1, budget: -1, want: []int32{0, 1},
		},
		{
			name:    "without previous grants, ready pods are kept max-min fairly",
			claims:  []claim{fresh(3, 3, 3), fresh(1, 1, 1)},
			maxPods: 2, budget: -1, want: []int32{1, 1},
		},
		{
			name:    "over the cap, pods not ready go before ready ones",
			claims:  []claim{c(1, 1, 1), c(1, 0, 1)},
			maxPods: 1, budget: -1, want: []int32{1, 0},
		},
		{
			name:    "scale-up budget bounds the pods added",
			claims:  []claim{c(1, 1, 10), c(0, 0, 1)},
			maxPods: 0, budget: 3, want: []int32{3, 1},
		},
		{
			name:    "no scale-up budget left: nothing added, nothing taken",
			claims:  []claim{c(2, 2, 10), c(0, 0, 1)},
			maxPods: 0, budget: 0, want: []int32{2, 0},
		},
		{
			name:    "scale-up budget and cap together",
			claims:  []claim{c(1, 1, 10), c(1, 1, 10)},
			maxPods: 4, budget: 1, want: []int32{2, 1},
		},
		{
			name:    "hostile numbers",
			claims:  []claim{c(-3, -1, 1<<30), c(1<<30, 1<<30, 1<<30), c(0, 0, -5)},
			maxPods: 1 << 30, budget: -1, want: []int32{0, 1 << 30, 0},
		},
		{name: "nothing to allocate", claims: nil, maxPods: 3, budget: -1, want: []int32{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := allocate(tt.claims, tt.maxPods, tt.budget)
			if !slices.Equal(got, tt.want) {
				t.Errorf("allocate = %v, want %v", got, tt.want)
			}
			var sum int64
			for _, g := range got {
				sum += int64(g)
			}
			if tt.maxPods > 0 && sum > int64(tt.maxPods) {
				t.Errorf("granted %d pods in all, over the cap %d", sum, tt.maxPods)
			}
		})
	}
}

// TestAllocateStable checks that a second allocation from what the first
// granted changes nothing: no pod moves from one revision to another while
// the demands stay the same.
func TestAllocateStable(t *testing.T) {
	claims := []claim{{current: 0, want: 7}, {current: 0, want: 3}, {current: 0, want: 1}, {current: 0, want: 9}}
	first := allocate(claims, 10, -1)
	for i := range claims {
		claims[i].current, claims[i].ready = first[i], first[i]
	}
	if second := allocate(claims, 10, -1); !slices.Equal(first, second) {
		t.Errorf("first allocation %v, second %v", first, second)
	}
}

func TestScaleUps(t *testing.T) {
	t0 := time.Unix(1_764_000_000, 0)
	l := PodLimits{MaxScaleUpPerMinute: 5}
	var u scaleUps
	steps := []struct {
		at     time.Duration
		add    int64
		budget int32 // before adding
	}{
		{at: 0, add: 2, budget: 5},
		{at: 500 * time.Millisecond, add: 1, budget: 3}, // same second: one record
		{at: 30 * time.Second, add: 2, budget: 2},
		{at: 59 * time.Second, budget: 0},
		{at: 60 * time.Second, budget: 3}, // the first second left the window
		{at: 90 * time.Second, budget: 5},
	}
	for _, s := range steps {
		now := t0.Add(s.at)
		if got := u.budget(now, l); got != s.budget {
			t.Errorf("at %v: budget %d, want %d", s.at, got, s.budget)
		}
		u.add(now, s.add)
	}
	if len(u.recs) > 1 {
		t.Errorf("%d records kept, want at most 1", len(u.recs))
	}
	if got := u.budget(t0, PodLimits{}); got != -1 {
		t.Errorf("no limit: budget %d, want -1", got)
	}
}
