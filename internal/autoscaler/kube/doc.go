// Package kube connects the autoscaler to Kubernetes: it derives each
// Revision's decider.Spec from its spec and the cluster defaults, lists the
// Revisions from the manager's cache (scaler.Targets), shows decisions on
// the Revisions' status (scaler.StatusRecorder), feeds Deployment and
// Revision informer events to the scaler, and adds the stat server and the
// scaler to a controller-runtime manager (Setup).
//
// The autoscaler owns status.desiredReplicas and status.autoscaler of a
// Revision and the replicas of its Deployment; the Revision reconciler owns
// everything else, conditions and status.reachability included. The
// autoscaler reads status.reachability and never derives it.
package kube
