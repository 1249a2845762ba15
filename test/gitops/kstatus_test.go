package gitops

import (
	"testing"

	"sigs.k8s.io/cli-utils/pkg/kstatus/status"
)

// kstatusReading is what kstatus (status.Compute, which Flux's health
// checks and "flux/kubectl wait" style tools use; Flux's fork
// github.com/fluxcd/cli-utils has the same package) makes of a Wake object
// that Argo CD reads as want, and why where the two differ.
//
// kstatus knows Wake's kinds by no rule of their own. In order it reads:
// deletionTimestamp (Terminating); status.observedGeneration, when present,
// against metadata.generation (InProgress while they differ); Reconciling
// or Stalled conditions that are True (InProgress, Failed), which Wake does
// not set; then a Ready condition: True is Current, False and Unknown are
// both InProgress; and an object with none of these is Current.
func kstatusReading(c healthCase) (want status.Status, why string) {
	hasOG, _ := observed(c.obj)
	_, hasReady := readyCondition(c.obj)
	switch c.want.Status {
	case healthy:
		return status.CurrentStatus, ""
	case degraded:
		return status.InProgressStatus, "kstatus reads Ready=False as InProgress: only a Stalled=True condition is Failed"
	case progressing:
		if !hasOG && !hasReady {
			return status.CurrentStatus, "kstatus reads an object with no status as Current: it cannot tell that Wake has not seen it yet"
		}
		return status.InProgressStatus, ""
	}
	return status.UnknownStatus, "no reading for Argo CD's " + c.want.Status
}

// TestKstatus computes kstatus' status for every Argo CD test case and
// checks it against the reading above: it agrees with Argo CD (Healthy is
// Current, Progressing InProgress) except that Degraded is InProgress and
// an object Wake has not seen yet is Current.
func TestKstatus(t *testing.T) {
	for _, c := range allCases(t) {
		t.Run(c.name(), func(t *testing.T) {
			res, err := status.Compute(c.obj)
			if err != nil {
				t.Fatal(err)
			}
			want, why := kstatusReading(c)
			if res.Status != want {
				t.Fatalf("kstatus = %s (%q), want %s for Argo CD's %s", res.Status, res.Message, want, c.want.Status)
			}
			if why != "" {
				t.Logf("Argo CD %s, kstatus %s: %s", c.want.Status, res.Status, why)
			}
			// Where kstatus reads the Ready condition, its message is
			// Ready's, as Argo CD's is.
			if ready, ok := readyCondition(c.obj); ok && c.want.Status != healthy && !notObservedYet(c) {
				if msg, _ := ready["message"].(string); res.Message != msg {
					t.Errorf("kstatus message = %q, want Ready's %q", res.Message, msg)
				}
			}
		})
	}
}

// notObservedYet reports whether c's object has a status of an older
// generation.
func notObservedYet(c healthCase) bool {
	has, current := observed(c.obj)
	return has && !current
}
