//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// TestHostClaimOlderWins has Routes in two namespaces claim the same host,
// granted to both (the host is directly under the cluster domain, so no
// namespace has it without a grant): the older Route keeps it, the newer
// one gets HostsClaimed=False, and every request to the host reaches the
// older namespace's function although the newer one's function is up.
func TestHostClaimOlderWins(t *testing.T) {
	older, newer := newNamespace(t, "holder"), newNamespace(t, "claimer")
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	host := "shared-" + hex.EncodeToString(b) + "." + suite.domain
	grantDomains(t, older, host)
	grantDomains(t, newer, host)

	for _, ns := range []string{older, newer} {
		create(t, newFunction(ns, "who", "hello", withGreeting("from "+ns)))
	}
	create(t, newRoute(older, "claim", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "who", Percent: 100}))
	holder := waitRouteCondition(t, older, "claim", apis.ConditionReady, corev1.ConditionTrue, 2*time.Minute)
	waitServing(t, host, bodyIs("from "+older))
	// The newer function must be live, so that a wrong route would show.
	waitFunctionReady(t, newer, "who", 2*time.Minute)
	waitServing(t, functionHost(newer, "who"), bodyIs("from "+newer))

	create(t, newRoute(newer, "claim", []string{host}, servingv1alpha1.TrafficTarget{FunctionName: "who", Percent: 100}))
	claimer := waitRouteCondition(t, newer, "claim", servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionFalse, time.Minute)
	if !claimer.CreationTimestamp.After(holder.CreationTimestamp.Time) {
		t.Fatalf("the claiming route (%s) is not newer than the holder (%s)", claimer.CreationTimestamp, holder.CreationTimestamp)
	}
	claimed := condition(claimer.Status.Conditions, servingv1alpha1.RouteConditionHostsClaimed)
	if claimed.Reason != servingv1alpha1.ReasonHostTaken || !strings.Contains(claimed.Message, older) {
		t.Errorf("newer route HostsClaimed = False %s: %q, want reason %s naming namespace %s", claimed.Reason, claimed.Message, servingv1alpha1.ReasonHostTaken, older)
	}
	if ready := condition(claimer.Status.Conditions, apis.ConditionReady); ready == nil || !ready.IsFalse() {
		t.Errorf("newer route Ready = %v, want False", ready)
	}

	holder = waitRouteCondition(t, older, "claim", servingv1alpha1.RouteConditionHostsClaimed, corev1.ConditionTrue, time.Minute)
	if ready := condition(holder.Status.Conditions, apis.ConditionReady); ready == nil || !ready.IsTrue() {
		t.Errorf("older route Ready = %v after the claim, want True", ready)
	}
	rs := getAll(host, "/", 100, 4)
	requireAll(t, "shared host", rs, http.StatusOK, bodyIs("from "+older))
	t.Logf("newer route: HostsClaimed=False %s: %s; 100/100 requests to %s answered by %s", claimed.Reason, claimed.Message, host, older)
}
