//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
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

// TestPodQuotaBlocksScaleUp: a serving function whose namespace has room
// for one pod is scaled up by load. The extra pods are refused; the
// revision says so with PodsCreated=False (FailedCreate, naming the quota)
// while it stays Ready, every request is still served on the one pod, and
// the condition goes once the load has passed and one pod is all the
// revision asks for.
func TestPodQuotaBlocksScaleUp(t *testing.T) {
	ns := newNamespace(t, "podquota")
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "one-pod"},
		Spec:       corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{corev1.ResourcePods: resource.MustParse("1")}},
	}
	create(t, quota)
	// Pods are refused until kube-controller-manager has counted the
	// namespace's use ("status unknown for quota").
	testutil.Eventually(t, time.Minute, "quota one-pod counted", func(ctx context.Context) error {
		if err := suite.client.Get(ctx, client.ObjectKeyFromObject(quota), quota); err != nil {
			return err
		}
		if _, ok := quota.Status.Used[corev1.ResourcePods]; !ok {
			return fmt.Errorf("status %+v", quota.Status)
		}
		return nil
	})
	create(t, newFunction(ns, "capped", "sleep", withSerial(), withScaleBounds(1, 4), withFastScaleToZero(5*time.Second)))
	waitFunctionReady(t, ns, "capped", 2*time.Minute)
	host := functionHost(ns, "capped")
	waitServing(t, host, nil)
	key := client.ObjectKey{Namespace: ns, Name: "capped-00001"}

	done := make(chan []response)
	go func() { done <- getAll(host, "/?ms=500", 40, 4) }()
	testutil.Eventually(t, time.Minute, "PodsCreated=False on the serving revision", func(ctx context.Context) error {
		return podsCreated(ctx, key, func(c *apis.Condition, ready bool) error {
			if c == nil || c.Status != corev1.ConditionFalse || c.Reason != "FailedCreate" || !strings.Contains(c.Message, "exceeded quota: one-pod") {
				return fmt.Errorf("PodsCreated %+v", c)
			}
			if !ready {
				return fmt.Errorf("Ready is not True")
			}
			return nil
		})
	})
	requireAll(t, "load", <-done, http.StatusOK, bodyIs("slept 500ms"))

	testutil.Eventually(t, 2*time.Minute, "PodsCreated gone once one pod is enough", func(ctx context.Context) error {
		return podsCreated(ctx, key, func(c *apis.Condition, ready bool) error {
			if c != nil || !ready {
				return fmt.Errorf("PodsCreated %+v, Ready %v", c, ready)
			}
			return nil
		})
	})
}

// podsCreated gets the revision and hands its PodsCreated condition (nil
// when absent) and whether it is Ready to check.
func podsCreated(ctx context.Context, key client.ObjectKey, check func(c *apis.Condition, ready bool) error) error {
	rev := &servingv1alpha1.Revision{}
	if err := suite.client.Get(ctx, key, rev); err != nil {
		return err
	}
	return check(condition(rev.Status.Conditions, servingv1alpha1.RevisionConditionPodsCreated), rev.Status.IsReady())
}
