// Package tenant enforces each namespace's tenant limits on requests in the
// activator: requests in flight (sent to a pod and not yet answered) and
// the rate of requests admitted (a token bucket). The limits come from the
// TenantPolicies as package tenancy resolves them, in a Table of this
// package's own (SetLimits), and each is summed over all activators: this
// activator enforces its share, Share of the limit for the activator count
// and index that
// SetActivators gives (the same the throttler gets). The third limit,
// requests held waiting, is counted by the throttler, which asks HeldShare
// for this activator's share of it.
//
// A share may be 0 (a limit below the number of activators): that
// activator refuses every request under the limit. The one exception is
// the burst: an activator with a share of the rate holds at least one
// token, or it could never admit anything.
//
// State is kept per namespace only for namespaces that have a limit and
// recent traffic: a namespace's state is forgotten once it has no request
// in flight and a full bucket (Options.IdleAfter), so a namespace costs
// nothing while idle and the state is bounded by the namespaces with
// traffic. A namespace without limits costs one map lookup per request.
//
// The handler asks Allow when a request arrives (the rate; a request
// forwarded by a peer activator was counted there and is not asked again)
// and Begin when the throttler gives it a pod (in flight, until the
// response ends): a request that waits for capacity or a cold start is
// held, not in flight, while it waits. A refusal is an *Error naming the
// limit, which the handler answers 429 with Retry-After and Wake-Limit.
package tenant
