package main

import (
	"context"
	"fmt"
)

// Just enough of the RBAC types to create a role and its binding.
type (
	objectMeta struct {
		Name string `json:"name"`
	}
	policyRule struct {
		APIGroups []string `json:"apiGroups"`
		Resources []string `json:"resources"`
		Verbs     []string `json:"verbs"`
	}
	clusterRole struct {
		APIVersion string       `json:"apiVersion"`
		Kind       string       `json:"kind"`
		Metadata   objectMeta   `json:"metadata"`
		Rules      []policyRule `json:"rules"`
	}
	roleRef struct {
		APIGroup string `json:"apiGroup"`
		Kind     string `json:"kind"`
		Name     string `json:"name"`
	}
	clusterRoleBinding struct {
		APIVersion string     `json:"apiVersion"`
		Kind       string     `json:"kind"`
		Metadata   objectMeta `json:"metadata"`
		RoleRef    roleRef    `json:"roleRef"`
		Subjects   []roleRef  `json:"subjects"`
	}
)

const rbacGroup = "rbac.authorization.k8s.io"

// EnsureRBAC grants CoreDNS's user read access to what its kubernetes plugin
// watches. The other components use identities that the API server's
// bootstrap roles already cover (system:kube-controller-manager,
// system:kube-scheduler, system:kube-proxy, system:node:<name>).
func EnsureRBAC(ctx context.Context, c *APIClient) error {
	list := []string{"list", "watch"}
	role := clusterRole{
		APIVersion: rbacGroup + "/v1", Kind: "ClusterRole", Metadata: objectMeta{Name: corednsUser},
		Rules: []policyRule{
			{APIGroups: []string{""}, Resources: []string{"endpoints", "services", "pods", "namespaces"}, Verbs: list},
			{APIGroups: []string{"discovery.k8s.io"}, Resources: []string{"endpointslices"}, Verbs: list},
		},
	}
	binding := clusterRoleBinding{
		APIVersion: rbacGroup + "/v1", Kind: "ClusterRoleBinding", Metadata: objectMeta{Name: corednsUser},
		RoleRef:  roleRef{APIGroup: rbacGroup, Kind: "ClusterRole", Name: corednsUser},
		Subjects: []roleRef{{APIGroup: rbacGroup, Kind: "User", Name: corednsUser}},
	}
	if err := c.Create(ctx, "/apis/"+rbacGroup+"/v1/clusterroles", role); err != nil {
		return fmt.Errorf("create CoreDNS cluster role: %w", err)
	}
	if err := c.Create(ctx, "/apis/"+rbacGroup+"/v1/clusterrolebindings", binding); err != nil {
		return fmt.Errorf("bind CoreDNS cluster role: %w", err)
	}
	return nil
}
