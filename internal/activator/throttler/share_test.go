package throttler

import (
	"fmt"
	"slices"
	"testing"
)

func TestPodShareTable(t *testing.T) {
	tests := []struct {
		name            string
		pods, cc, count int
		want            [][]int // want[index][pod]
	}{
		{name: "one activator takes all", pods: 3, cc: 4, count: 1,
			want: [][]int{{4, 4, 4}}},
		{name: "cc=1, 1 pod, 2 activators: one gets 0", pods: 1, cc: 1, count: 2,
			want: [][]int{{0}, {1}}},
		{name: "cc=1, 1 pod, 3 activators", pods: 1, cc: 1, count: 3,
			want: [][]int{{0}, {0}, {1}}},
		{name: "cc=10, 1 pod, 2 activators split", pods: 1, cc: 10, count: 2,
			want: [][]int{{5}, {5}}},
		{name: "cc=10, 1 pod, 3 activators split", pods: 1, cc: 10, count: 3,
			want: [][]int{{3}, {3}, {4}}},
		{name: "pods multiple of activators: whole pods", pods: 4, cc: 7, count: 2,
			want: [][]int{{7, 7, 0, 0}, {0, 0, 7, 7}}},
		{name: "3 pods 2 activators cc=1", pods: 3, cc: 1, count: 2,
			want: [][]int{{1, 0, 0}, {0, 1, 1}}},
		{name: "3 pods 2 activators cc=10: middle pod split", pods: 3, cc: 10, count: 2,
			want: [][]int{{10, 5, 0}, {0, 5, 10}}},
		{name: "2 pods 3 activators cc=2", pods: 2, cc: 2, count: 3,
			want: [][]int{{1, 0}, {1, 0}, {0, 2}}},
		{name: "no pods", pods: 0, cc: 5, count: 2,
			want: [][]int{{}, {}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for index := range tc.count {
				got := make([]int, tc.pods)
				for pos := range tc.pods {
					got[pos] = podShare(pos, tc.pods, tc.cc, tc.count, index)
				}
				if !slices.Equal(got, tc.want[index]) {
					t.Errorf("index %d: shares = %v, want %v", index, got, tc.want[index])
				}
			}
		})
	}
}

// TestPodShareNeverExceeds checks, over a grid of pods × activators × cc,
// that the shares of every pod summed over all activator indexes equal cc
// exactly, that every activator gets floor or ceil of its fair total, and
// that activators get whole pods when pods is a multiple of their count.
func TestPodShareNeverExceeds(t *testing.T) {
	for pods := 0; pods <= 13; pods++ {
		for count := 1; count <= 7; count++ {
			for cc := 1; cc <= 6; cc++ {
				name := fmt.Sprintf("pods=%d/activators=%d/cc=%d", pods, count, cc)
				perPod := make([]int, pods)
				total := pods * cc
				for index := range count {
					mine := 0
					for pos := range pods {
						s := podShare(pos, pods, cc, count, index)
						if s < 0 || s > cc {
							t.Fatalf("%s: index %d pod %d share %d out of [0,%d]", name, index, pos, s, cc)
						}
						if pods >= count && pods%count == 0 && s != 0 && s != cc {
							t.Errorf("%s: index %d pod %d split (%d) though pods divide evenly", name, index, pos, s)
						}
						perPod[pos] += s
						mine += s
					}
					if lo, hi := total/count, (total+count-1)/count; mine < lo || mine > hi {
						t.Errorf("%s: index %d total %d, want in [%d,%d]", name, index, mine, lo, hi)
					}
				}
				for pos, sum := range perPod {
					if sum != cc {
						t.Errorf("%s: pod %d shares sum to %d, want exactly cc=%d", name, pos, sum, cc)
					}
				}
			}
		}
	}
}

func TestActivatorSetRotateIsPermutation(t *testing.T) {
	keys := []RevisionKey{{Namespace: "a", Name: "x"}, {Namespace: "team-b", Name: "api-00003"}, {Namespace: "default", Name: "hello-00001"}}
	for _, key := range keys {
		for count := 1; count <= 6; count++ {
			seen := make([]bool, count)
			for index := range count {
				got := activatorSet{count: count, index: index}.rotate(key)
				if got < 0 || got >= count || seen[got] {
					t.Fatalf("%v count %d: rotate(%d) = %d is not a permutation", key, count, index, got)
				}
				seen[got] = true
			}
		}
	}
}

// TestThrottlerSharesAcrossActivators runs one Throttler per activator index
// on the same endpoints and checks that each pod's capacities add up to cc.
func TestThrottlerSharesAcrossActivators(t *testing.T) {
	tests := []struct{ pods, count, cc int }{
		{1, 2, 1}, {1, 3, 1}, {1, 2, 10}, {2, 3, 1}, {3, 2, 1}, {5, 3, 4}, {6, 3, 2}, {7, 4, 3},
	}
	for _, tc := range tests {
		t.Run(fmt.Sprintf("pods=%d/activators=%d/cc=%d", tc.pods, tc.count, tc.cc), func(t *testing.T) {
			var eps []Endpoint
			for i := range tc.pods {
				eps = append(eps, Endpoint{Address: fmt.Sprintf("10.0.0.%d:8080", i+1), Ready: true})
			}
			perPod := map[string]int{}
			total := 0
			for index := range tc.count {
				th := newTestThrottler(t, Options{})
				th.SetEndpoints(testKey, eps) // before UpsertRevision: kept pending
				th.UpsertRevision(testKey, RevisionConfig{ContainerConcurrency: tc.cc})
				th.SetActivators(tc.count, index)
				r := th.lookup(testKey)
				r.mu.Lock()
				for _, p := range r.routable {
					perPod[p.addr] += p.capacity
				}
				free := r.free
				r.mu.Unlock()
				st, _ := th.Stats(testKey)
				if st.Capacity != free {
					t.Errorf("index %d: Stats.Capacity %d, free slots %d", index, st.Capacity, free)
				}
				total += st.Capacity
			}
			for addr, sum := range perPod {
				if sum != tc.cc {
					t.Errorf("pod %s: capacities over all activators sum to %d, want %d", addr, sum, tc.cc)
				}
			}
			if len(perPod) != tc.pods || total != tc.pods*tc.cc {
				t.Errorf("total capacity %d over %d pods, want %d over %d", total, len(perPod), tc.pods*tc.cc, tc.pods)
			}
		})
	}
}
