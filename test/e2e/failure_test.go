//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// TestTimeout checks that a request running longer than the revision's
// timeoutSeconds gets 504 from the activator once the timeout passes, while
// shorter ones get the function's answer.
func TestTimeout(t *testing.T) {
	const (
		// timeout is the revision's timeoutSeconds.
		timeout = 3 * time.Second
		// margin is how late past the activator's deadline the test may
		// see its 504. The test's clock runs from before the request
		// reaches the activator until after the answer has come back
		// through kube-proxy, on 2 cores shared with the whole cluster and
		// whatever else runs: a busy machine adds up to seconds to that.
		// The bound still tells a request cut at the timeout from one that
		// waits for the function (sleep below) or for any longer timeout.
		margin = 4 * time.Second
		// sleep is how long the function works on the request that times
		// out, far beyond timeout+margin.
		sleep = 30 * time.Second
	)
	ns := newNamespace(t, "timeout")
	create(t, newFunction(ns, "slow", "sleep", withTimeout(int32(timeout/time.Second)), withScaleBounds(1, 1)))
	waitFunctionReady(t, ns, "slow", 2*time.Minute)
	host := functionHost(ns, "slow")
	waitServing(t, host, nil)

	tests := []struct {
		name     string
		query    string
		code     int
		body     string
		min, max time.Duration
	}{
		// 500 ms of work leaves 2.5 s before the timeout, for a busy
		// machine to delay the request on its way to the function.
		{name: "within timeout", query: "/?ms=500", code: http.StatusOK, body: "slept 500ms\n", min: 500 * time.Millisecond, max: timeout + margin},
		{name: "past timeout", query: fmt.Sprintf("/?ms=%d", sleep.Milliseconds()), code: http.StatusGatewayTimeout, min: timeout, max: timeout + margin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			r := get(host, tc.query)
			took := time.Since(start)
			if r.err != nil || r.code != tc.code || (tc.body != "" && r.body != tc.body) {
				t.Fatalf("GET %s: got %s after %s, want %d %q", tc.query, r, took.Round(time.Millisecond), tc.code, tc.body)
			}
			if took < tc.min || took > tc.max {
				t.Errorf("GET %s answered after %s, want between %s and %s", tc.query, took, tc.min, tc.max)
			}
			t.Logf("GET %s: %d after %s", tc.query, r.code, took.Round(time.Millisecond))
		})
	}
}

// TestCrashingImage checks that a Function whose container exits at once is
// not Ready and that its Revision says why: ContainerHealthy=False with the
// container's exit as the reason.
func TestCrashingImage(t *testing.T) {
	ns := newNamespace(t, "crash")
	create(t, newFunction(ns, "boom", "crash"))

	rev := &servingv1alpha1.Revision{}
	testutil.Eventually(t, 2*time.Minute, "revision boom-00001 ContainerHealthy=False", func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "boom-00001"}, rev); err != nil {
			return err
		}
		if c := condition(rev.Status.Conditions, servingv1alpha1.RevisionConditionContainerHealthy); c == nil || !c.IsFalse() {
			return errors.New(describe(rev.Status.Conditions))
		}
		return nil
	})
	healthy := condition(rev.Status.Conditions, servingv1alpha1.RevisionConditionContainerHealthy)
	if healthy.Reason != "ExitCode1" || !strings.Contains(healthy.Message, "exited with code 1") {
		t.Errorf("ContainerHealthy = %s: %s, want reason ExitCode1 and a message saying it exited with code 1", healthy.Reason, healthy.Message)
	}
	if ready := condition(rev.Status.Conditions, apis.ConditionReady); ready == nil || !ready.IsFalse() {
		t.Errorf("revision Ready = %v, want False", ready)
	}

	fn := &servingv1alpha1.Function{}
	testutil.Eventually(t, time.Minute, "function boom Ready=False", func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: "boom"}, fn); err != nil {
			return err
		}
		return conditionIs(fn.Generation, fn.Status.Status, apis.ConditionReady, corev1.ConditionFalse)
	})
	if fn.Status.LatestReadyRevisionName != "" {
		t.Errorf("latestReadyRevisionName = %q, want none", fn.Status.LatestReadyRevisionName)
	}
	t.Logf("revision: ContainerHealthy=False %s: %s; function: %s", healthy.Reason, healthy.Message, describe(fn.Status.Conditions))
}
