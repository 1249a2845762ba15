//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// attackerPod returns a pod named name running test/images/attacker with
// args, as a tenant with no service-account token and a small CPU and
// memory limit, that must end within deadline.
func attackerPod(ns, name string, args []string, deadline time.Duration) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy:                 corev1.RestartPolicyNever,
			AutomountServiceAccountToken:  ptr.To(false),
			ActiveDeadlineSeconds:         ptr.To(int64(deadline.Seconds())),
			TerminationGracePeriodSeconds: ptr.To(int64(1)),
			Containers: []corev1.Container{{
				Name:            "attacker",
				Image:           testImage("attacker"),
				ImagePullPolicy: corev1.PullNever,
				Args:            args,
				Resources:       tenantResources(),
			}},
		},
	}
}

// tenantResources are the requests and limits of the attacker's pods: a
// tenant gets half a core and 256 MiB, whatever it runs.
func tenantResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("50m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m"), corev1.ResourceMemory: resource.MustParse("256Mi")},
	}
}

// withTenantResources gives the function's container tenantResources.
func withTenantResources() fnOption {
	return func(fn *servingv1alpha1.Function) {
		r := tenantResources()
		fn.Spec.Template.Spec.Containers[0].Resources = servingv1alpha1.ResourceRequirements{Limits: r.Limits, Requests: r.Requests}
	}
}

// waitPodRunning waits until the pod runs (or has already ended).
func waitPodRunning(t *testing.T, ns, name string, timeout time.Duration) {
	t.Helper()
	testutil.Eventually(t, timeout, "pod "+ns+"/"+name+" running", func(ctx context.Context) error {
		p := &corev1.Pod{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return err
		}
		if p.Status.Phase == corev1.PodPending {
			return fmt.Errorf("phase %s", p.Status.Phase)
		}
		return nil
	})
}

// waitPodEnded waits until the pod has Succeeded or Failed and returns the
// phase.
func waitPodEnded(t *testing.T, ns, name string, timeout time.Duration) corev1.PodPhase {
	t.Helper()
	var phase corev1.PodPhase
	testutil.Eventually(t, timeout, "pod "+ns+"/"+name+" ended", func(ctx context.Context) error {
		p := &corev1.Pod{}
		if err := suite.client.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, p); err != nil {
			return err
		}
		phase = p.Status.Phase
		if phase != corev1.PodSucceeded && phase != corev1.PodFailed {
			return fmt.Errorf("phase %s", phase)
		}
		return nil
	})
	return phase
}

// attackerSummary reads the "SUMMARY {json}" line of the attacker's log and
// returns it indented, with the whole log for context.
func attackerSummary(t *testing.T, ns, name string) (summary map[string]any, log string) {
	t.Helper()
	log = kubectl(t, 30*time.Second, "-n", ns, "logs", name)
	for _, line := range strings.Split(log, "\n") {
		rest, ok := strings.CutPrefix(line, "SUMMARY ")
		if !ok {
			continue
		}
		if err := json.Unmarshal([]byte(rest), &summary); err != nil {
			t.Errorf("attacker summary %q: %v", rest, err)
		}
	}
	return summary, log
}

// statsAddress finds the autoscaler's stat port: the wake-system Service
// with a port named "stats", as host:port that a pod can resolve.
func statsAddress(t *testing.T) string {
	t.Helper()
	svcs := &corev1.ServiceList{}
	if err := suite.client.List(context.Background(), svcs, client.InNamespace(systemNamespace)); err != nil {
		t.Fatalf("list services in %s: %v", systemNamespace, err)
	}
	for _, s := range svcs.Items {
		for _, p := range s.Spec.Ports {
			if p.Name == "stats" {
				return fmt.Sprintf("%s.%s.svc.cluster.local:%s", s.Name, systemNamespace, strconv.Itoa(int(p.Port)))
			}
		}
	}
	t.Fatalf("no Service in %s has a port named stats", systemNamespace)
	return ""
}
