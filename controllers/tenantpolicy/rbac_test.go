package tenantpolicy

import (
	"os"
	"regexp"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
)

// rbacMarker matches the RBAC markers of reconciler.go.
var rbacMarker = regexp.MustCompile(`(?m)^// \+kubebuilder:rbac:groups=([^,]*),resources=([^,]*),verbs=(\S+)$`)

// markerRules returns the rules the RBAC markers of reconciler.go grant.
func markerRules(t *testing.T) []rbacv1.PolicyRule {
	t.Helper()
	src, err := os.ReadFile("reconciler.go")
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
		t.Fatal("no RBAC markers in reconciler.go")
	}
	return rules
}

// TestEnvRBACMarkersAreEnough reconciles a policy, with a Revision to
// count, as a user that holds only what the RBAC markers grant: every read
// and the status write must be allowed.
func TestEnvRBACMarkersAreEnough(t *testing.T) {
	ctx := t.Context()
	s := runtime.NewScheme()
	if err := rbacv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	admin, err := client.New(env.Config, client.Options{Scheme: s})
	if err != nil {
		t.Fatal(err)
	}
	user := "wake-tenantpolicy-rbac"
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: markerRules(t)}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := admin.Create(ctx, o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Delete(ctx, o) })
	}
	ns := testenv.Namespace(t, k8s, "tp")
	setLabels(t, ns, map[string]string{"env.wake.dev/rbac": "yes"})
	if err := k8s.Create(ctx, fixture.Revision(ns, "api-00001")); err != nil {
		t.Fatal(err)
	}
	createPolicy(t, fixture.TenantPolicy("env-rbac", fixture.WithNamespaceLabel("env.wake.dev/rbac", "yes")))

	cfg := rest.CopyConfig(env.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	direct, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	writes := 0
	// A default the suite's reconciler does not have, so that this
	// reconcile's status differs from whatever the suite wrote and is
	// written. A conflict with the suite's write is no error, and is
	// authorized before it is found.
	store := config.NewStore()
	if err := store.Update(map[string]string{config.KeyTenantMaxHeldRequests: "9"}); err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{Deps: reconciler.Deps{Client: counting{Client: direct, writes: &writes}, Recorder: events.NewFakeRecorder(10), Config: store}}
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Name: "env-rbac"}}); err != nil {
		t.Fatalf("reconcile as %s: %v", user, err)
	}
	if writes != 1 {
		t.Errorf("%d status writes as %s, want 1", writes, user)
	}
}

// counting is a client that counts its status writes.
type counting struct {
	client.Client
	writes *int
}

func (c counting) Status() client.SubResourceWriter {
	*c.writes++
	return c.Client.Status()
}
