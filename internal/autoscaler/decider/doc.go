// Package decider is the KPA scaling algorithm for one revision.
//
// A Decider is fed the observed concurrency once a second (Record) and asked
// for a decision every tick (Decide). Both take the time as an argument, so
// the algorithm is pure and is tested with a fake clock. A Decider is not
// safe for concurrent use; callers serialise access per revision.
//
// The algorithm follows Knative's KPA:
//
//   - The target per pod is Spec.Target, or ContainerConcurrency ×
//     TargetUtilizationPercentage, or 100 × TargetUtilizationPercentage when
//     the concurrency is unlimited.
//   - Two averages over 1 s buckets: the stable window (default 60 s) and the
//     panic window (default 10% of it). After a whole window of no demand, a
//     window restarts at the first non-zero sample, so the first burst after
//     idleness is not diluted by the idle seconds (Knative gets the same
//     effect from its buckets having no data while a revision is at zero).
//   - Panic mode starts when the panic average asks for at least
//     PanicThresholdPercentage of the ready pods; while panicking the
//     decision never goes down; it ends after a stable window below the
//     threshold.
//   - Each decision moves up at most MaxScaleUpRate × the ready pods and down
//     at most by a factor MaxScaleDownRate (rounding up, except from one pod
//     to zero).
//   - With a ScaleDownDelay the decision is the maximum over that window.
//   - Scale to zero only once the stable average has been zero for
//     ScaleToZeroGracePeriod; until then the revision keeps one pod.
//   - A revision woken from zero gets at least max(1, InitialScale) until
//     that many pods are ready. So does a new revision (first seen with pods
//     and none ready): it is not scaled to zero before it has served, however
//     short its windows, unless it is unreachable.
//   - For a stable window after its first decision (a new revision, or a new
//     leader after failover) a Decider never decides below the current scale:
//     it may lack the history that would justify scaling down.
//   - Decisions are bounded by MinScale and MaxScale (0 = no maximum).
//   - An unreachable revision (Input.Unreachable: no traffic can reach it)
//     is not held at MinScale. If it has pods it keeps at least one until it
//     has had no demand for ScaleToZeroGracePeriod, counted from when it
//     became unreachable or from the end of its last demand, whichever is
//     later; then it goes to zero whatever the averages, panic mode,
//     ScaleDownDelay or missing history say, and panic mode and the delay
//     end. Without fresh samples it keeps its current scale. Reachable
//     again, it gets MinScale at once; demand wakes it, reachable or not,
//     as it wakes any revision at zero.
package decider
