//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// refusalBound is how soon after its Revision exists a Function whose new
// Deployment the API server refuses must say so.
const refusalBound = 5 * time.Second

// TestQuotaRefusal edits a ready Function in a namespace whose ResourceQuota
// leaves no room for the new revision: its Deployment is refused by the API
// server, or its pods by the ReplicaSet's. The revision and the Function
// must fail within refusalBound, carrying the API server's message,
// `kubectl wait --for=condition=Ready=false` must return at once, and the
// Function's URL must keep serving the old revision. Once the quota is
// deleted the new revision must become ready and serve.
func TestQuotaRefusal(t *testing.T) {
	tests := []struct {
		name string
		// resource is what the quota limits to what the old revision uses.
		resource corev1.ResourceName
		// reason and message are what the new revision's Ready must say
		// (message is a regular expression).
		reason  string
		message string
	}{{
		name:     "Deployment refused",
		resource: "count/deployments.apps",
		reason:   servingv1alpha1.ReasonQuotaExceeded,
		message:  `^deployments\.apps "capped-00002" is forbidden: exceeded quota: no-room, `,
	}, {
		name:     "pods refused",
		resource: corev1.ResourcePods,
		reason:   "FailedCreate",
		message:  `^pods "capped-00002-[a-z0-9-]+" is forbidden: exceeded quota: no-room, `,
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ns := newNamespace(t, "quota")
			testQuotaRefusal(t, ns, tc.resource, tc.reason, tc.message)
		})
	}
}

// testQuotaRefusal is one case of TestQuotaRefusal in namespace ns.
func testQuotaRefusal(t *testing.T, ns string, limited corev1.ResourceName, reason, message string) {
	const (
		name        = "capped"
		oldGreeting = "before the quota"
		newGreeting = "after the quota"
	)
	create(t, newFunction(ns, name, "hello", withGreeting(oldGreeting)))
	waitFunctionReady(t, ns, name, 2*time.Minute)
	host := functionHost(ns, name)
	waitServing(t, host, bodyIs(oldGreeting))

	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "no-room"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{limited: resource.MustParse("1")}},
	}
	create(t, quota)
	// Until the quota controller has counted, the API server refuses with
	// "status unknown for quota" rather than "exceeded quota".
	testutil.Eventually(t, time.Minute, "the quota counts the old revision", func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKeyFromObject(quota), quota); err != nil {
			return err
		}
		if used, ok := quota.Status.Used[limited]; !ok || used.Value() != 1 {
			return fmt.Errorf("used %v", quota.Status.Used)
		}
		return nil
	})

	edited := time.Now()
	fn := &servingv1alpha1.Function{}
	if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, fn); err != nil {
		t.Fatal(err)
	}
	fn.Spec.Template.Spec.Containers[0].Env = nil
	withGreeting(newGreeting)(fn)
	if err := suite.client.Update(context.Background(), fn); err != nil {
		t.Fatalf("update function: %v", err)
	}
	newRev := name + "-00002"
	rev := &servingv1alpha1.Revision{}
	testutil.Eventually(t, time.Minute, "revision "+newRev+" exists", func(ctx context.Context) error {
		return suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: newRev}, rev)
	})
	exists := time.Now()

	failed := testutil.Eventually(t, time.Minute, "revision and function Ready=False", func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: newRev}, rev); err != nil {
			return err
		}
		if r := condition(rev.Status.Conditions, apis.ConditionReady); r == nil || !r.IsFalse() {
			return errors.New("revision: " + describe(rev.Status.Conditions))
		}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, fn); err != nil {
			return err
		}
		if err := conditionIs(fn.Generation, fn.Status.Status, apis.ConditionReady, corev1.ConditionFalse); err != nil {
			return fmt.Errorf("function: %w", err)
		}
		return nil
	})
	t.Logf("revision %s existed %s after the edit; it and the Function were Ready=False %s later (%s after the edit)",
		newRev, exists.Sub(edited).Round(time.Millisecond), failed.Round(time.Millisecond), time.Since(edited).Round(time.Millisecond))
	if failed > refusalBound {
		t.Errorf("the refusal reached the Function %s after the revision existed, want at most %s", failed, refusalBound)
	}

	revReady := condition(rev.Status.Conditions, apis.ConditionReady)
	resources := condition(rev.Status.Conditions, servingv1alpha1.RevisionConditionResourcesAvailable)
	wantMsg := regexp.MustCompile(message)
	for _, c := range []*apis.Condition{revReady, resources} {
		if c == nil || !c.IsFalse() || c.Reason != reason || !wantMsg.MatchString(c.Message) {
			t.Errorf("revision condition %+v, want False/%s with a message matching %s", c, reason, wantMsg)
		}
	}
	for _, ct := range []apis.ConditionType{apis.ConditionReady, servingv1alpha1.FunctionConditionLatestRevisionReady} {
		c := condition(fn.Status.Conditions, ct)
		if c == nil || !c.IsFalse() || c.Reason != servingv1alpha1.ReasonRevisionFailed || !strings.Contains(c.Message, revReady.Message) {
			t.Errorf("function %s = %+v, want False/%s carrying %q", ct, c, servingv1alpha1.ReasonRevisionFailed, revReady.Message)
		}
	}
	if got, want := fn.Status.LatestReadyRevisionName, name+"-00001"; got != want {
		t.Errorf("latestReadyRevisionName = %q, want %q still", got, want)
	}
	t.Logf("function Ready: %s: %s", condition(fn.Status.Conditions, apis.ConditionReady).Reason, condition(fn.Status.Conditions, apis.ConditionReady).Message)

	// `kubectl wait --for=condition=Ready` (True) cannot fail early on False;
	// waiting for False is how a script learns of the failure at once.
	start := time.Now()
	kubectl(t, 30*time.Second, "-n", ns, "wait", "--for=condition=Ready=false", "function/"+name, "--timeout=10s")
	t.Logf("kubectl wait --for=condition=Ready=false returned after %s", time.Since(start).Round(time.Millisecond))

	requireAll(t, "the old revision while the new one is refused", getAll(host, "/", 20, 4), http.StatusOK, bodyIs(oldGreeting))

	if err := suite.client.Delete(context.Background(), quota); err != nil {
		t.Fatalf("delete quota: %v", err)
	}
	deleted := time.Now()
	fn = waitFunctionReady(t, ns, name, 2*time.Minute)
	t.Logf("the Function was Ready %s after the quota was deleted", time.Since(deleted).Round(time.Millisecond))
	if fn.Status.LatestReadyRevisionName != newRev {
		t.Errorf("latestReadyRevisionName = %q, want %q", fn.Status.LatestReadyRevisionName, newRev)
	}
	waitServing(t, host, bodyIs(newGreeting))
}
