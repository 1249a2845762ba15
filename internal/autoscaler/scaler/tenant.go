package scaler

import (
	"math"
	"slices"
	"time"
)

// PodLimits are one namespace's limits on its revisions' pods, from its
// TenantPolicy; 0 means no limit.
type PodLimits struct {
	// MaxPods caps the pods of all the namespace's revisions together.
	MaxPods int32
	// MaxScaleUpPerMinute caps the pods added to them together in any
	// rolling minute.
	MaxScaleUpPerMinute int32
}

// None reports whether l limits nothing.
func (l PodLimits) None() bool { return l.MaxPods <= 0 && l.MaxScaleUpPerMinute <= 0 }

// TenantLimits says each namespace's pod limits; package kube implements it
// from the TenantPolicies, the Namespaces and wake-config.
type TenantLimits interface {
	// PodLimits returns the limits of namespace ns. It is called on the
	// tick and poke paths: it must not block.
	PodLimits(ns string) PodLimits
}

// claim is one revision's part in its namespace's allocation.
type claim struct {
	current int32 // its scale now: the pods it has or is getting
	ready   int32 // its ready pods
	want    int32 // what its decider decided
	prev    int32 // what the scaler granted it last; -1 before its first decision
}

// allocate grants each claim its replicas so that their sum stays within
// maxPods (0: no cap) and the pods added (grant above current) stay within
// addBudget (negative: no bound). It is pure and deterministic; claims come
// in a fixed order (the scaler sorts them by revision name), which breaks
// ties. In order:
//
//  1. every revision keeps its ready pods, up to what it wants: first
//     those the scaler granted it before, then any others (a new
//     revision's Deployment is made at its initial scale before the
//     scaler sees it: those pods go first when there is no room);
//  2. then its other pods (scaled but not ready), up to what it wants;
//  3. a revision at zero that wants pods gets its first one (a cold start
//     does not starve behind another revision's scale-out);
//  4. the rest of the growth goes max-min fairly: a pod at a time to the
//     revision that has the fewest, ties to the first.
//
// Steps 1 and 2 fill max-min fairly as well, so they only take pods away
// when the cap is below what the revisions already have (it was lowered,
// or a new revision's Deployment was made at its initial scale): then the
// largest keep the most and the rest lose their not-ready pods first.
// Taking pods from one revision to give them to another never happens
// otherwise.
func allocate(claims []claim, maxPods, addBudget int32) []int32 {
	room := int64(math.MaxInt64)
	if maxPods > 0 {
		room = int64(maxPods)
	}
	grant := make([]int32, len(claims))
	limit := make([]int32, len(claims))
	for i, c := range claims {
		limit[i] = max(0, min(c.want, c.current, c.ready, c.prev))
	}
	room -= fill(grant, limit, room)
	for i, c := range claims {
		limit[i] = max(0, min(c.want, c.current, c.ready))
	}
	room -= fill(grant, limit, room)
	for i, c := range claims {
		limit[i] = max(0, min(c.want, c.current))
	}
	room -= fill(grant, limit, room)
	if addBudget >= 0 {
		room = min(room, int64(addBudget))
	}
	for i, c := range claims {
		if room > 0 && grant[i] == 0 && c.want > 0 {
			grant[i], room = 1, room-1
		}
	}
	for i, c := range claims {
		limit[i] = max(grant[i], c.want)
	}
	fill(grant, limit, room)
	return grant
}

// fill raises grant towards limit by at most budget pods in all, max-min
// fairly: it finds the highest level L such that raising every grant to
// min(L, limit) fits, then gives the pods left one each, in order, to the
// grants at L that can still grow. It returns the pods given.
func fill(grant, limit []int32, budget int64) int64 {
	cost := func(level int64) int64 {
		var n int64
		for i := range grant {
			if v := min(level, int64(limit[i])); v > int64(grant[i]) {
				n += v - int64(grant[i])
			}
		}
		return n
	}
	top := int64(0)
	for _, l := range limit {
		top = max(top, int64(l))
	}
	if need := cost(top); need <= budget {
		for i := range grant {
			grant[i] = max(grant[i], limit[i])
		}
		return need
	}
	// cost(lo) <= budget < cost(hi).
	lo, hi := int64(0), top
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if cost(mid) <= budget {
			lo = mid
		} else {
			hi = mid
		}
	}
	given := cost(lo)
	for i := range grant {
		if v := min(lo, int64(limit[i])); v > int64(grant[i]) {
			grant[i] = int32(v)
		}
	}
	for i := range grant {
		if given < budget && int64(grant[i]) == lo && grant[i] < limit[i] {
			grant[i]++
			given++
		}
	}
	return given
}

// scaleUpWindow is the rolling window of MaxScaleUpPerMinute.
const scaleUpWindow = time.Minute

// scaleUps counts the pods added to one namespace's revisions over the last
// scaleUpWindow. Additions in the same second share one record, so it holds
// at most 60 of them.
type scaleUps struct {
	recs []scaleUp // oldest first
}

type scaleUp struct {
	sec int64 // Unix second
	n   int64
}

// inWindow returns the pods added in the window that ends at now, and
// forgets older additions.
func (u *scaleUps) inWindow(now time.Time) int64 {
	from := now.Add(-scaleUpWindow).Unix()
	drop := 0
	for drop < len(u.recs) && u.recs[drop].sec <= from {
		drop++
	}
	u.recs = slices.Delete(u.recs, 0, drop)
	var n int64
	for _, r := range u.recs {
		n += r.n
	}
	return n
}

// add records n pods added at now.
func (u *scaleUps) add(now time.Time, n int64) {
	if n <= 0 {
		return
	}
	sec := now.Unix()
	if k := len(u.recs); k > 0 && u.recs[k-1].sec >= sec {
		u.recs[k-1].n += n
		return
	}
	u.recs = append(u.recs, scaleUp{sec: sec, n: n})
}

// budget returns how many pods may still be added at now under l, or -1
// for no bound.
func (u *scaleUps) budget(now time.Time, l PodLimits) int32 {
	if l.MaxScaleUpPerMinute <= 0 {
		u.recs = u.recs[:0]
		return -1
	}
	return int32(max(0, int64(l.MaxScaleUpPerMinute)-u.inWindow(now)))
}
