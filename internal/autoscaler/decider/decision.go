package decider

// Input is what a decision needs to know about the revision's pods.
type Input struct {
	// ReadyPods is the number of pods ready to serve.
	ReadyPods int32
	// CurrentScale is the Deployment's spec.replicas: the scale that the
	// decision would replace.
	CurrentScale int32
	// Unreachable reports that no traffic can reach the revision. MinScale
	// then does not apply, and the revision goes to zero once it has had no
	// demand for ScaleToZeroGracePeriod since it became unreachable. The
	// zero value, reachable, also stands for pending and unknown.
	Unreachable bool
}

// Reason names the rule that settled a decision. It is meant for the
// Revision's status and for logs.
type Reason string

// Reasons, from the plain algorithm to the rules that override it.
const (
	// ReasonStable: the stable-window average settled the decision.
	ReasonStable Reason = "Stable"
	// ReasonPanic: panic mode settled the decision (it never goes down).
	ReasonPanic Reason = "Panic"
	// ReasonScaleDownDelay: a larger decision inside ScaleDownDelay holds.
	ReasonScaleDownDelay Reason = "ScaleDownDelay"
	// ReasonCollectingHistory: less than a stable window has passed since
	// the first decision, so the decider does not scale down yet.
	ReasonCollectingHistory Reason = "CollectingHistory"
	// ReasonAwaitingScaleToZero: demand is zero but the grace period has not
	// passed, so one pod stays.
	ReasonAwaitingScaleToZero Reason = "AwaitingScaleToZero"
	// ReasonScaledToZero: no demand for the stable window plus the grace
	// period.
	ReasonScaledToZero Reason = "ScaledToZero"
	// ReasonUnreachable: no traffic can reach the revision and it has had
	// no demand for the grace period.
	ReasonUnreachable Reason = "Unreachable"
	// ReasonActivating: the revision was woken from zero and is held at
	// max(1, InitialScale) until that many pods are ready.
	ReasonActivating Reason = "Activating"
	// ReasonMinScale: the decision was raised to MinScale.
	ReasonMinScale Reason = "MinScale"
	// ReasonMaxScale: the decision was lowered to MaxScale.
	ReasonMaxScale Reason = "MaxScale"
	// ReasonNoData: no recent samples; the current scale is kept.
	ReasonNoData Reason = "NoData"
	// ReasonTenantQuotaExceeded: the decider wanted more, and the scaler
	// cut the decision to what the namespace's tenant pod limits
	// (TenantPolicy maxPods, maxScaleUpPerMinute) allow. The decider never
	// gives it; it is the API's reason of the same name.
	ReasonTenantQuotaExceeded Reason = "TenantQuotaExceeded"
)

// Decision is the outcome of one Decide call.
type Decision struct {
	// DesiredReplicas is the scale to write to the Deployment.
	DesiredReplicas int32
	// Panic reports whether the decider is in panic mode.
	Panic bool
	// StableConcurrency is the average concurrency over the stable window.
	StableConcurrency float64
	// PanicConcurrency is the average concurrency over the panic window.
	PanicConcurrency float64
	// Reason names the rule that settled DesiredReplicas.
	Reason Reason
}
