//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// pollInterval is how often the tests' own watch loops look again;
// testutil.Eventually paces itself.
const pollInterval = 250 * time.Millisecond

// newNamespace creates a namespace named after prefix with a random suffix
// and deletes it (without waiting) when the test ends.
func newNamespace(t *testing.T, prefix string) string {
	t.Helper()
	name, err := createNamespace(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	t.Cleanup(func() {
		if t.Failed() {
			dumpState(t, name, start)
		}
		deleteNamespace(t, name)
	})
	return name
}

// createNamespace creates a namespace named after prefix with a random
// suffix; newNamespace is the usual way.
func createNamespace(ctx context.Context, prefix string) (string, error) {
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	name := "e2e-" + prefix + "-" + hex.EncodeToString(b)
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := suite.client.Create(ctx, ns); err != nil {
		return "", fmt.Errorf("create namespace %s: %w", name, err)
	}
	return name, nil
}

// deleteNamespace deletes namespace name without waiting.
func deleteNamespace(t *testing.T, name string) {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := suite.client.Delete(context.Background(), ns); err != nil && !apierrors.IsNotFound(err) {
		t.Errorf("delete namespace %s: %v", name, err)
	}
}

// dumpState logs what a failed test left in namespace ns, and what Wake's
// components logged since start, so that a failure in CI can be read from
// its output alone.
func dumpState(t *testing.T, ns string, start time.Time) {
	since := "--since-time=" + start.UTC().Format(time.RFC3339)
	for _, args := range [][]string{
		{"-n", ns, "get", "functions,revisions,routes,deployments,pods,endpointslices", "-o", "wide"},
		{"-n", ns, "get", "events", "--sort-by=.lastTimestamp"},
		{"-n", systemNamespace, "get", "pods", "-o", "wide"},
		{"-n", systemNamespace, "logs", "--prefix", "--tail=100", since, "-l", "app.kubernetes.io/name=wake-controller"},
		{"-n", systemNamespace, "logs", "--prefix", "--tail=100", since, "-l", "app.kubernetes.io/name=wake-activator"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		out, err := exec.CommandContext(ctx, suite.kubectl, append([]string{"--kubeconfig", suite.kubeconfig}, args...)...).CombinedOutput()
		cancel()
		t.Logf("kubectl %s (err %v):\n%s", strings.Join(args, " "), err, out)
	}
}

// create creates obj, failing the test on error.
func create(t *testing.T, obj client.Object) {
	t.Helper()
	if err := suite.client.Create(context.Background(), obj); err != nil {
		t.Fatalf("create %T %s/%s: %v", obj, obj.GetNamespace(), obj.GetName(), err)
	}
}

// condition returns the condition of type ct in conds, or nil.
func condition(conds []apis.Condition, ct apis.ConditionType) *apis.Condition {
	for i := range conds {
		if conds[i].Type == ct {
			return &conds[i]
		}
	}
	return nil
}

// describe summarises conditions for failure messages.
func describe(conds []apis.Condition) string {
	var b strings.Builder
	for _, c := range conds {
		b.WriteString(string(c.Type) + "=" + string(c.Status))
		if c.Reason != "" {
			b.WriteString("(" + c.Reason + ": " + c.Message + ")")
		}
		b.WriteString(" ")
	}
	return b.String()
}

// conditionIs returns nil if status is for generation and its condition ct
// has status want, and otherwise an error that describes status.
func conditionIs(generation int64, status duckv1.Status, ct apis.ConditionType, want corev1.ConditionStatus) error {
	if c := condition(status.Conditions, ct); status.ObservedGeneration == generation && c != nil && c.Status == want {
		return nil
	}
	return fmt.Errorf("generation %d, observed %d, %s", generation, status.ObservedGeneration, describe(status.Conditions))
}

// waitFunctionReady waits until the Function is Ready for its current
// generation and returns it.
func waitFunctionReady(t *testing.T, ns, name string, timeout time.Duration) *servingv1alpha1.Function {
	t.Helper()
	fn := &servingv1alpha1.Function{}
	testutil.Eventually(t, timeout, "function "+ns+"/"+name+" Ready", func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, fn); err != nil {
			return err
		}
		return conditionIs(fn.Generation, fn.Status.Status, apis.ConditionReady, corev1.ConditionTrue)
	})
	return fn
}

// waitRouteCondition waits until the Route's condition ct has status want
// (for its current generation) and returns the Route.
func waitRouteCondition(t *testing.T, ns, name string, ct apis.ConditionType, want corev1.ConditionStatus, timeout time.Duration) *servingv1alpha1.Route {
	t.Helper()
	rt := &servingv1alpha1.Route{}
	testutil.Eventually(t, timeout, "route "+ns+"/"+name+" "+string(ct)+"="+string(want), func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, rt); err != nil {
			return err
		}
		return conditionIs(rt.Generation, rt.Status.Status, ct, want)
	})
	return rt
}

// kubectl runs bin/kubectl against the suite's cluster and fails the test if
// it exits non-zero.
func kubectl(t *testing.T, timeout time.Duration, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, suite.kubectl, append([]string{"--kubeconfig", suite.kubeconfig}, args...)...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}
