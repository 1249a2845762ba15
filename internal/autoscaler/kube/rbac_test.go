package kube

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testutil"
)

// rbacMarker matches the RBAC markers of setup.go.
var rbacMarker = regexp.MustCompile(`(?m)^// \+kubebuilder:rbac:groups=([^,]*),resources=([^,]*),verbs=(\S+)$`)

// markerRules returns the rules that the RBAC markers of setup.go grant,
// which controller-gen turns into the wake-controller ClusterRole.
func markerRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	src, err := os.ReadFile("setup.go")
	if err != nil {
		t.Fatal(err)
	}
	var rules []rbacv1.PolicyRule
	for _, m := range rbacMarker.FindAllStringSubmatch(string(src), -1) {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: strings.Split(strings.Trim(m[1], `"`), ";"),
			Resources: strings.Split(m[2], ";"),
			Verbs:     strings.Split(m[3], ";"),
		})
	}
	if len(rules) == 0 {
		t.Fatal("no RBAC markers in setup.go")
	}
	return rules
}

// TestRBACMarkersAreEnough runs the autoscaler as a user that holds only
// what its RBAC markers grant: it must still watch, scale and record.
func TestRBACMarkersAreEnough(t *testing.T) {
	c := apiClient(t)
	rc, err := client.New(env.Config, client.Options{Scheme: scheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	ns := namespace(t, c)
	user := "wake-autoscaler-" + ns
	grant := func(name string, rules []rbacv1.PolicyRule) {
		role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: name}, Rules: rules}
		binding := &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: name},
			Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
		}
		for _, o := range []client.Object{role, binding} {
			if err := rc.Create(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = rc.Delete(t.Context(), o) })
		}
	}
	grant(user, markerRules(t))
	// The test's stand-in Deployment controller, not the autoscaler.
	grant(user+"-fake-deployment-controller", []rbacv1.PolicyRule{{APIGroups: []string{"apps"}, Resources: []string{"deployments/status"}, Verbs: []string{"update"}}})

	key := types.NamespacedName{Namespace: ns, Name: "rbac-00001"}
	createRevision(t, c, ns, key.Name, &servingv1alpha1.Scaling{InitialScale: ptr.To[int32](2)}, 0)
	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	s := startStack(t, stackOptions{config: cfg, namespace: ns, tickInterval: time.Hour})
	testutil.Eventually(t, wait, "the autoscaler tracks the revision", s.tracking(t, 1))
	dial(t, s).poke(key)
	testutil.Eventually(t, wait, "scaled to 2 as "+user, scaledTo(t, c, key, 2))
}
