package decider

import (
	"fmt"
	"math"
	"time"
)

// StaleAfter is the age of the newest sample beyond which Decide reports
// ReasonNoData and keeps the current scale.
const StaleAfter = 5 * time.Second

// Decider holds the history and the mode of one revision's autoscaler.
type Decider struct {
	spec           Spec
	target         float64
	panicThreshold float64
	win            window
	delay          *maxWindow

	since            time.Time // first Decide; zero until then
	panicSince       time.Time // last time over the panic threshold; zero when calm
	maxPanic         int32     // highest decision of the current panic
	activating       bool      // woken from zero, initial scale not reached yet
	starting         bool      // had pods but none ready at its first decision: a new revision
	unreachableSince time.Time // first Decide that saw it unreachable; zero while reachable
}

// New returns a Decider for spec, which must be valid.
func New(spec Spec) (*Decider, error) {
	if err := spec.Validate(); err != nil {
		return nil, fmt.Errorf("invalid scaling spec: %w", err)
	}
	d := &Decider{win: newWindow(spec.stableBuckets(), spec.panicBuckets())}
	d.setSpec(spec)
	return d, nil
}

// Spec returns the settings in use.
func (d *Decider) Spec() Spec { return d.spec }

// SetSpec replaces the settings and keeps as much history as the new stable
// window holds.
func (d *Decider) SetSpec(spec Spec) error {
	if err := spec.Validate(); err != nil {
		return fmt.Errorf("invalid scaling spec: %w", err)
	}
	if spec.stableBuckets() != d.spec.stableBuckets() || spec.panicBuckets() != d.spec.panicBuckets() {
		d.win.resize(spec.stableBuckets(), spec.panicBuckets())
	}
	d.setSpec(spec)
	return nil
}

func (d *Decider) setSpec(spec Spec) {
	d.spec = spec
	d.target = spec.TargetPerPod()
	d.panicThreshold = spec.PanicThresholdPercentage / 100
	switch {
	case spec.ScaleDownDelay <= 0:
		d.delay = nil
	case d.delay == nil:
		d.delay = &maxWindow{d: spec.ScaleDownDelay}
	default:
		d.delay.d = spec.ScaleDownDelay
	}
}

// Record stores the concurrency observed during the second that contains
// now. A later Record in the same second replaces it; older seconds,
// negative and NaN values are ignored.
func (d *Decider) Record(now time.Time, concurrency float64) {
	d.win.record(now.Unix(), concurrency)
}

// Decide returns the decision at now. It updates the panic mode, the
// scale-down-delay window, the activation state and the reachability.
func (d *Decider) Decide(now time.Time, in Input) Decision {
	d.setUnreachable(now, in.Unreachable)
	ready := max(in.ReadyPods, 0)
	current := max(in.CurrentScale, 0)
	d.noteStart(now, ready, current)
	if !d.win.has || now.Unix()-d.win.last > int64(StaleAfter/Bucket) {
		return d.bound(Decision{DesiredReplicas: current, Panic: !d.panicSince.IsZero(), Reason: ReasonNoData})
	}
	dec := Decision{
		StableConcurrency: d.win.stableAverage(),
		PanicConcurrency:  d.win.panicAverage(),
		Reason:            ReasonStable,
	}
	if d.unreachableIdle(now) {
		d.endHolds()
		dec.Reason = ReasonUnreachable
		return dec
	}

	readyF := math.Max(1, float64(ready))
	maxUp := math.Ceil(d.spec.MaxScaleUpRate * readyF)
	maxDown := 0.0
	if base := math.Max(readyF, float64(current)); base > 1 {
		maxDown = math.Ceil(round6(base / d.spec.MaxScaleDownRate))
	}
	stablePods := podsFor(dec.StableConcurrency, d.target)
	panicPods := podsFor(dec.PanicConcurrency, d.target)
	desiredStable := toReplicas(clamp(stablePods, maxDown, maxUp))
	desiredPanic := toReplicas(clamp(panicPods, maxDown, maxUp))

	switch over := panicPods/readyF >= d.panicThreshold; {
	case over:
		if d.panicSince.IsZero() {
			// Entering panic: from here on never below the current scale.
			d.maxPanic = current
		}
		d.panicSince = now
	case !d.panicSince.IsZero() && now.Sub(d.panicSince) > d.spec.StableWindow:
		d.panicSince, d.maxPanic = time.Time{}, 0
	}
	dec.DesiredReplicas = desiredStable
	if !d.panicSince.IsZero() {
		dec.Panic, dec.Reason = true, ReasonPanic
		d.maxPanic = max(d.maxPanic, desiredStable, desiredPanic)
		dec.DesiredReplicas = d.maxPanic
	}

	if d.delay != nil {
		if held := d.delay.record(now, dec.DesiredReplicas); held != dec.DesiredReplicas {
			dec.DesiredReplicas, dec.Reason = held, ReasonScaleDownDelay
		}
	}
	if dec.DesiredReplicas < current && now.Before(d.historyFrom().Add(d.spec.StableWindow)) {
		dec.DesiredReplicas, dec.Reason = current, ReasonCollectingHistory
	}
	if dec.DesiredReplicas == 0 {
		d.settleZero(&dec, current, now)
	}
	d.activate(&dec, ready, current)
	return d.bound(dec)
}

// noteStart records the first decision's time and whether the revision is
// starting: first seen with pods and none of them ready, it is not scaled to
// zero before its initial scale is ready, however short its windows.
func (d *Decider) noteStart(now time.Time, ready, current int32) {
	if d.since.IsZero() {
		d.since = now
		d.starting = current > 0 && ready == 0
		d.activating = d.starting
	}
	if ready >= d.floor() {
		d.starting = false
	}
}

// settleZero settles a decision of zero: a starting revision is held (by
// activate), even if its scale was cut to zero meanwhile (a tenant's
// maxPods: it waits for a pod rather than give up its initial scale), one
// with pods keeps one through the grace period, and the others go to zero.
func (d *Decider) settleZero(dec *Decision, current int32, now time.Time) {
	switch {
	case d.starting:
	case current > 0 && !d.zeroLongEnough(now):
		dec.DesiredReplicas, dec.Reason = 1, ReasonAwaitingScaleToZero
	default:
		dec.Reason = ReasonScaledToZero
		d.activating = false
	}
}

// historyFrom is when this decider's history starts: its first decision or
// its first sample, whichever is later.
func (d *Decider) historyFrom() time.Time {
	first := time.Unix(d.win.first, 0)
	if first.After(d.since) {
		return first
	}
	return d.since
}

// setUnreachable notes at now whether the revision is unreachable, and
// since when.
func (d *Decider) setUnreachable(now time.Time, unreachable bool) {
	switch {
	case !unreachable:
		d.unreachableSince = time.Time{}
	case d.unreachableSince.IsZero():
		d.unreachableSince = now
	}
}

// endHolds ends panic mode, the scale-down delay and the activation of a
// revision that goes to zero because it is unreachable and idle: they hold
// pods for demand that can no longer arrive.
func (d *Decider) endHolds() {
	d.panicSince, d.maxPanic, d.activating, d.starting = time.Time{}, 0, false, false
	if d.delay != nil {
		d.delay.reset()
	}
}

// zeroLongEnough reports whether the stable average has been zero for the
// grace period: no demand for a stable window plus the grace period. It is
// false for an unreachable revision, which goes to zero only once
// unreachableIdle holds.
func (d *Decider) zeroLongEnough(now time.Time) bool {
	return d.unreachableSince.IsZero() &&
		now.Sub(d.quietFrom()) >= d.spec.StableWindow+d.spec.ScaleToZeroGracePeriod
}

// unreachableIdle reports whether the revision is unreachable and has had
// no demand for the grace period, counted from when it became unreachable
// or from the end of its last demand, whichever is later.
func (d *Decider) unreachableIdle(now time.Time) bool {
	if d.unreachableSince.IsZero() {
		return false
	}
	from := d.quietFrom()
	if d.unreachableSince.After(from) {
		from = d.unreachableSince
	}
	return now.Sub(from) >= d.spec.ScaleToZeroGracePeriod
}

// quietFrom is when the last demand ended: the end of the newest non-zero
// second, or the first sample when there was none.
func (d *Decider) quietFrom() time.Time {
	if d.win.hasNonZero {
		return time.Unix(d.win.lastNonZero, 0).Add(Bucket)
	}
	return time.Unix(d.win.first, 0)
}

// activate holds a revision woken from zero, or starting, at
// max(1, InitialScale) until that many pods are ready.
func (d *Decider) activate(dec *Decision, ready, current int32) {
	if dec.DesiredReplicas > 0 && current == 0 {
		d.activating = true
	}
	if !d.activating {
		return
	}
	floor := d.floor()
	if ready >= floor {
		d.activating, d.starting = false, false
		return
	}
	if dec.DesiredReplicas < floor {
		dec.DesiredReplicas, dec.Reason = floor, ReasonActivating
	}
}

// floor is the scale a waking or starting revision is held at until it is
// ready: max(1, InitialScale).
func (d *Decider) floor() int32 { return max(1, d.spec.InitialScale) }

// bound applies MinScale, unless the revision is unreachable, and MaxScale.
func (d *Decider) bound(dec Decision) Decision {
	if dec.DesiredReplicas < d.spec.MinScale && d.unreachableSince.IsZero() {
		dec.DesiredReplicas, dec.Reason = d.spec.MinScale, ReasonMinScale
	}
	if d.spec.MaxScale > 0 && dec.DesiredReplicas > d.spec.MaxScale {
		dec.DesiredReplicas, dec.Reason = d.spec.MaxScale, ReasonMaxScale
	}
	return dec
}

// podsFor is the number of pods that serve concurrency at target each.
func podsFor(concurrency, target float64) float64 {
	return math.Ceil(round6(concurrency / target))
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// toReplicas converts a non-negative pod count, capping it at MaxInt32.
func toReplicas(f float64) int32 {
	if f >= math.MaxInt32 {
		return math.MaxInt32
	}
	return int32(f)
}
