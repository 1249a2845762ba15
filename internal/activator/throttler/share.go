package throttler

import "hash/fnv"

// This file splits each pod's capacity among the activator replicas.
//
// The ready pods of a revision, sorted by address, are laid end to end as
// pods*cc slots: pod j owns slots [j*cc, (j+1)*cc). The slots are then cut
// into count contiguous runs of (nearly) equal length, and activator i uses
// run i: [i*T/count, (i+1)*T/count) with T = pods*cc and integer division.
// A pod's share for an activator is how many of its slots fall in that
// activator's run.
//
// Because the runs partition the slots, the shares of one pod summed over
// all activators are exactly cc: the activators together never exceed it.
// Each activator gets floor(T/count) or ceil(T/count) slots. When pods is a
// multiple of count every activator gets whole pods (the case Knative
// handles by slicing); otherwise at most count-1 pods are split between two
// neighbouring activators. When T < count some activators get nothing: with
// cc=1, one pod and two activators, one activator has share 1 and the other
// share 0. Such an activator does not hold its requests: Try (mode Forward)
// returns a *NoShareError naming the activator that owns slot 0 (see
// owner), and the handler forwards the request to it once.
//
// Which activator gets the short run is rotated per revision (by a hash of
// its key) so that small revisions do not all land on the same replica.

// activatorSet is this activator's place among its replicas.
type activatorSet struct {
	count int // number of activator replicas, < 1 treated as 1
	index int // this replica's index in [0, count)
}

// single reports whether this activator should use whole pods, either
// because it is alone or because its index is not known (yet).
func (a activatorSet) single() bool {
	return a.count <= 1 || a.index < 0 || a.index >= a.count
}

// rotate returns the index this activator takes for the revision with the
// given key: its own index shifted by a per-revision offset. It is a
// permutation of [0, count), so the shares still partition every pod.
func (a activatorSet) rotate(key RevisionKey) int {
	return (a.index + a.offset(key)) % a.count
}

// offset is the per-revision shift rotate adds to every index.
func (a activatorSet) offset(key RevisionKey) int {
	h := fnv.New32a()
	_, _ = h.Write([]byte(key.Namespace))
	_, _ = h.Write([]byte{'/'})
	_, _ = h.Write([]byte(key.Name))
	return int(h.Sum32() % uint32(a.count))
}

// owner returns the activator index (unrotated, as in SetActivators) whose
// run contains slot 0 of the revision key with total slots in all, or -1 if
// there is no slot or a single activator. Runs are in rotated order, so slot
// 0 belongs to the first rotated index j whose run is not empty.
func (a activatorSet) owner(key RevisionKey, total int) int {
	if total <= 0 || a.single() {
		return -1
	}
	for j := range a.count {
		if (j+1)*total/a.count > 0 {
			return (j - a.offset(key) + a.count) % a.count
		}
	}
	return -1
}

// podShare returns how many of the cc slots of the pod at position pos
// (among pods pods sorted by address) activator index of count may use.
func podShare(pos, pods, cc, count, index int) int {
	if count <= 1 {
		return cc
	}
	total := pods * cc
	lo, hi := index*total/count, (index+1)*total/count
	plo, phi := pos*cc, (pos+1)*cc
	return max(0, min(hi, phi)-max(lo, plo))
}
