package scaler

import (
	"k8s.io/apimachinery/pkg/types"
)

// DeploymentState is what the scaler needs to know of a revision's
// Deployment.
type DeploymentState struct {
	// Replicas is the Deployment's spec.replicas: its current scale.
	Replicas int32
	// ReadyReplicas is the Deployment's status.readyReplicas.
	ReadyReplicas int32
}

// ObserveDeployment records the current state of the Deployment named key
// (its namespace and name). A Deployment informer's add and update handlers
// call it, so that a tick reads no Deployment. The Deployment may belong to
// a revision that is not tracked yet; the state is kept for when it is.
// It never blocks for long.
func (s *Scaler) ObserveDeployment(key types.NamespacedName, st DeploymentState) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	s.reg.deps[key] = st
	if e := s.reg.byDep[key]; e != nil {
		e.mu.Lock()
		e.dep, e.hasDep = st, true
		e.mu.Unlock()
	}
}

// ForgetDeployment records that the Deployment named key is gone; a
// Deployment informer's delete handler calls it. Its revision is not
// decided for until the Deployment is observed again.
func (s *Scaler) ForgetDeployment(key types.NamespacedName) {
	s.reg.mu.Lock()
	defer s.reg.mu.Unlock()
	delete(s.reg.deps, key)
	if e := s.reg.byDep[key]; e != nil {
		e.mu.Lock()
		e.dep, e.hasDep = DeploymentState{}, false
		e.mu.Unlock()
	}
}
