package testenv

import (
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	kscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// rbacMarker matches a kubebuilder RBAC marker.
var rbacMarker = regexp.MustCompile(`(?m)^// \+kubebuilder:rbac:groups=([^,]*),resources=([^,]*),verbs=(\S+)$`)

// MarkerRules returns the rules that the kubebuilder RBAC markers of the Go
// file at path grant, as controller-gen turns them into a ClusterRole. A
// file without markers fails the test.
func MarkerRules(t testing.TB, path string) []rbacv1.PolicyRule {
	t.Helper()
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	markers := rbacMarker.FindAllStringSubmatch(string(src), -1)
	rules := make([]rbacv1.PolicyRule, 0, len(markers))
	for _, m := range markers {
		rules = append(rules, rbacv1.PolicyRule{
			APIGroups: strings.Split(strings.Trim(m[1], `"`), ";"),
			Resources: strings.Split(m[2], ";"),
			Verbs:     strings.Split(m[3], ";"),
		})
	}
	if len(rules) == 0 {
		t.Fatalf("no RBAC markers in %s", path)
	}
	return rules
}

// RoleRules returns the rules of the ClusterRole in the YAML file at path
// (relative to the repository's top folder), e.g. a generated
// config/rbac/.../role.yaml.
func RoleRules(t testing.TB, path string) []rbacv1.PolicyRule {
	t.Helper()
	b, err := os.ReadFile(RepoRoot() + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{}
	if err := yaml.Unmarshal(b, role); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return role.Rules
}

// As returns a copy of cfg (an administrator's) that impersonates user,
// who holds only rules: a ClusterRole and its binding, both named user,
// created through cfg and deleted when the test ends.
func As(t testing.TB, cfg *rest.Config, user string, rules []rbacv1.PolicyRule) *rest.Config {
	t.Helper()
	admin, err := client.New(cfg, client.Options{Scheme: kscheme.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	role := &rbacv1.ClusterRole{ObjectMeta: metav1.ObjectMeta{Name: user}, Rules: rules}
	binding := &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: user},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: user},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: user}},
	}
	for _, o := range []client.Object{role, binding} {
		if err := admin.Create(t.Context(), o); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = admin.Delete(context.Background(), o) })
	}
	cfg = rest.CopyConfig(cfg)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: user}
	return cfg
}
