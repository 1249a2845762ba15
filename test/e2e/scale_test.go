//go:build e2e

package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// coldStartHeader is the header the activator adds to a response it held
// while the revision scaled from zero.
const coldStartHeader = "Wake-Cold-Start"

// TestScaleToZeroAndWake checks that an idle Function reaches zero pods
// after its short grace period, that one request then wakes it (200 with a
// Wake-Cold-Start header), and that 200 concurrent requests at zero all get
// 200.
func TestScaleToZeroAndWake(t *testing.T) {
	ns := newNamespace(t, "zero")
	const greeting = "awake"
	create(t, newFunction(ns, "nap", "hello", withGreeting(greeting), withFastScaleToZero(2*time.Second)))
	waitFunctionReady(t, ns, "nap", 2*time.Minute)
	host := functionHost(ns, "nap")
	waitServing(t, host, bodyIs(greeting))

	took := waitScaledToZero(t, ns, "nap-00001", 2*time.Minute)
	t.Logf("scaled to zero %s after the last request", took.Round(100*time.Millisecond))

	start := time.Now()
	r := get(host, "/")
	if r.err != nil || r.code != http.StatusOK || r.body != greeting+"\n" {
		t.Fatalf("request at zero: got %s, want 200 %q", r, greeting)
	}
	ms, err := strconv.Atoi(r.header.Get(coldStartHeader))
	if err != nil || ms < 0 {
		t.Fatalf("request at zero: %s header = %q, want a number of milliseconds", coldStartHeader, r.header.Get(coldStartHeader))
	}
	t.Logf("first request at zero: %s: %d ms, round trip %s", coldStartHeader, ms, time.Since(start).Round(time.Millisecond))

	took = waitScaledToZero(t, ns, "nap-00001", 2*time.Minute)
	t.Logf("scaled to zero again %s after the last request", took.Round(100*time.Millisecond))

	const burst = 200
	rs := getAll(host, "/", burst, burst)
	requireAll(t, "burst at zero", rs, http.StatusOK, bodyIs(greeting))
	cold := 0
	for _, r := range rs {
		if r.header.Get(coldStartHeader) != "" {
			cold++
		}
	}
	if cold == 0 {
		t.Errorf("burst at zero: no response carried %s", coldStartHeader)
	}
	t.Logf("burst of %d at zero: all 200, %d with %s", burst, cold, coldStartHeader)
}

// waitScaledToZero waits until the revision's Deployment wants and has no
// pods, no pod of the revision is left, and the Revision says Active=False
// with reason ScaledToZero. It returns how long that took.
func waitScaledToZero(t *testing.T, ns, rev string, timeout time.Duration) time.Duration {
	t.Helper()
	return testutil.Eventually(t, timeout, "revision "+rev+" scaled to zero", func(ctx context.Context) error {
		ok, desc, err := atZero(ctx, ns, rev)
		if err != nil || !ok {
			return fmt.Errorf("%s (err %v)", desc, err)
		}
		r := &servingv1alpha1.Revision{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: rev}, r); err != nil {
			return err
		}
		if active := condition(r.Status.Conditions, servingv1alpha1.RevisionConditionActive); active == nil || !active.IsFalse() || active.Reason != servingv1alpha1.ReasonScaledToZero {
			return errors.New(describe(r.Status.Conditions))
		}
		return nil
	})
}
