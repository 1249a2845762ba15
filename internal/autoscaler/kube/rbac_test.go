package kube

import (
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// TestRBACMarkersAreEnough runs the autoscaler as a user that holds only
// what its RBAC markers grant: it must still watch, scale and record.
func TestRBACMarkersAreEnough(t *testing.T) {
	c := apiClient(t)
	ns := namespace(t, c)
	user := "wake-autoscaler-" + ns
	// The test's stand-in Deployment controller needs one more rule; the
	// autoscaler does not.
	fakeDeploymentController := rbacv1.PolicyRule{APIGroups: []string{"apps"}, Resources: []string{"deployments/status"}, Verbs: []string{"update"}}
	cfg := testenv.As(t, env.Config, user, append(testenv.MarkerRules(t, "setup.go"), fakeDeploymentController))

	key := types.NamespacedName{Namespace: ns, Name: "rbac-00001"}
	createRevision(t, c, ns, key.Name, &servingv1alpha1.Scaling{InitialScale: ptr.To[int32](2)}, 0)
	s := startStack(t, stackOptions{config: cfg, namespace: ns, tickInterval: time.Hour})
	testutil.Eventually(t, wait, "the autoscaler tracks the revision", s.tracking(t, 1))
	dial(t, s).poke(key)
	testutil.Eventually(t, wait, "scaled to 2 as "+user, scaledTo(t, c, key, 2))
}
