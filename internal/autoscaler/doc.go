// Package autoscaler is the root of Wake's concurrency-driven autoscaler.
// The work is split by responsibility, the way Knative splits
// pkg/autoscaler:
//
//   - decider: the KPA algorithm for one revision, pure code with the time
//     passed in (stable and panic windows, rate limits, scale bounds,
//     scale-down delay, scale to zero after a grace period, and of an
//     unreachable revision whatever its minScale).
//   - collector: sums the concurrency that the activators report, per
//     revision, and expires activators that went silent.
//   - statserver: the TCP listener that reads the activators' frames
//     (package internal/statwire) into a collector and forwards pokes.
//   - scaler: samples the collector every second, decides every 2 s (and at
//     once on a poke for a revision at zero), writes the Deployment's scale
//     subresource when the number changes, and exports the decisions. It
//     learns Deployments from informer events and re-lists revisions only
//     when they change, so a tick reads nothing from the API server.
//   - kube: the Kubernetes side: Revision to decider.Spec with the cluster
//     defaults, the Revision lister (which reads status.reachability), the
//     status recorder (a merge patch of status.desiredReplicas and
//     status.autoscaler), the informer event handlers and Setup, which adds
//     it all to a controller-runtime manager.
//   - sim: a test harness that replays a load trace through a decider.
package autoscaler
