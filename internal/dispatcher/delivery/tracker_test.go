package delivery

import (
	"math/rand/v2"
	"testing"
)

func TestTracker(t *testing.T) {
	type step struct {
		add  []int64 // offsets to add
		done []int64 // offsets to finish
		want int64   // position after the step, -1: none
	}
	for _, tc := range []struct {
		name  string
		steps []step
	}{
		{"nothing added", []step{{want: -1}}},
		{"added, nothing done: commit at the first", []step{{add: []int64{5, 6, 7}, want: 5}}},
		{"in order", []step{
			{add: []int64{0, 1, 2}, done: []int64{0}, want: 1},
			{done: []int64{1, 2}, want: 3},
		}},
		{"out of order holds at the lowest unfinished", []step{
			{add: []int64{0, 1, 2, 3}, done: []int64{1, 3}, want: 0},
			{done: []int64{0}, want: 2},
			{done: []int64{2}, want: 4},
		}},
		{"gaps in offsets (compaction, markers)", []step{
			{add: []int64{10, 13, 20}, done: []int64{13}, want: 10},
			{done: []int64{10}, want: 20},
			{done: []int64{20}, want: 21},
			{add: []int64{25}, want: 25},
		}},
		{"duplicates and old offsets are refused", []step{
			{add: []int64{3, 3, 2, 4}, done: []int64{3, 4}, want: 5},
			{add: []int64{4}, want: 5},
		}},
		{"done twice or unknown is ignored", []step{
			{add: []int64{0, 1}, done: []int64{0, 0, 7}, want: 1},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTracker()
			for i, s := range tc.steps {
				for _, o := range s.add {
					tr.add(o, 1)
				}
				for _, o := range s.done {
					tr.done(o)
				}
				got, _, ok := tr.position()
				if !ok {
					got = -1
				}
				if got != s.want {
					t.Fatalf("step %d: position %d, want %d", i, got, s.want)
				}
			}
		})
	}
}

func TestTrackerAddReportsDuplicates(t *testing.T) {
	tr := newTracker()
	if !tr.add(1, 0) || tr.add(1, 0) || tr.add(0, 0) || !tr.add(2, 0) {
		t.Fatal("add should accept only increasing offsets")
	}
	if tr.pending() != 2 {
		t.Fatalf("pending %d, want 2", tr.pending())
	}
}

func TestTrackerEpoch(t *testing.T) {
	tr := newTracker()
	tr.add(0, 3)
	tr.add(1, 4)
	if _, e, _ := tr.position(); e != 3 {
		t.Fatalf("epoch %d, want that of the first unfinished record, 3", e)
	}
	tr.done(0)
	tr.done(1)
	if o, e, _ := tr.position(); o != 2 || e != 4 {
		t.Fatalf("position %d epoch %d, want 2 and the last record's epoch 4", o, e)
	}
}

// TestTrackerRandom finishes records in random order and checks the
// position against a direct computation, and that it never goes back.
func TestTrackerRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 50 {
		tr := newTracker()
		var offsets []int64
		off := int64(rng.IntN(10))
		for range 200 {
			offsets = append(offsets, off)
			tr.add(off, 0)
			off += 1 + int64(rng.IntN(3))
		}
		finished := map[int64]bool{}
		last := int64(-1)
		for _, i := range rng.Perm(len(offsets)) {
			tr.done(offsets[i])
			finished[offsets[i]] = true
			want := offsets[len(offsets)-1] + 1
			for _, o := range offsets {
				if !finished[o] {
					want = o
					break
				}
			}
			got, _, _ := tr.position()
			if got != want || got < last {
				t.Fatalf("round %d: position %d, want %d (last %d)", round, got, want, last)
			}
			last = got
		}
		if tr.pending() != 0 {
			t.Fatalf("round %d: %d pending after all done", round, tr.pending())
		}
	}
}
