// Package gitops tests how GitOps tools read Wake objects: the Argo CD
// health checks under config/argocd, run as Argo CD runs them, and Flux's
// kstatus, with and without the health check expressions under
// config/flux, on the same objects.
package gitops

import (
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testenv"
)

// Argo CD's health statuses.
const (
	healthy     = "Healthy"
	progressing = "Progressing"
	degraded    = "Degraded"
)

// customizations is where the health checks live, in Argo CD's own
// layout: {group}/{kind}/health.lua, health_test.yaml and testdata/.
func customizations() string {
	return filepath.Join(testenv.RepoRoot(), "config", "argocd", "resource_customizations", servingv1alpha1.GroupVersion.Group)
}

// healthStatus is what a health.lua returns, as Argo CD reads it.
type healthStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

// healthTests is a health_test.yaml, in Argo CD's format.
type healthTests struct {
	Tests []struct {
		HealthStatus healthStatus `json:"healthStatus"`
		InputPath    string       `json:"inputPath"`
	} `json:"tests"`
}

// healthCase is one test of a kind's health_test.yaml with its object.
type healthCase struct {
	kind string
	// input is the path of the object's file, relative to the kind's
	// folder, as health_test.yaml names it.
	input string
	obj   *unstructured.Unstructured
	want  healthStatus
}

func (c healthCase) name() string { return c.kind + "/" + c.input }

// rootKinds returns the kinds api/v1alpha1 registers, lists left out.
func rootKinds(t *testing.T) []string {
	t.Helper()
	s := runtime.NewScheme()
	if err := servingv1alpha1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	apiPkg := reflect.TypeFor[servingv1alpha1.Function]().PkgPath()
	var kinds []string
	for kind, typ := range s.KnownTypes(servingv1alpha1.GroupVersion) {
		if typ.PkgPath() != apiPkg {
			continue // ListOptions, WatchEvent, ... that every group version has
		}
		obj, err := s.New(servingv1alpha1.GroupVersion.WithKind(kind))
		if err != nil {
			t.Fatal(err)
		}
		if !meta.IsListType(obj) {
			kinds = append(kinds, kind)
		}
	}
	sort.Strings(kinds)
	return kinds
}

// loadCases reads kind's health_test.yaml and the objects it names.
func loadCases(t *testing.T, kind string) []healthCase {
	t.Helper()
	dir := filepath.Join(customizations(), kind)
	raw, err := os.ReadFile(filepath.Join(dir, "health_test.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tests healthTests
	if err := yaml.UnmarshalStrict(raw, &tests); err != nil {
		t.Fatalf("%s/health_test.yaml: %v", kind, err)
	}
	cases := make([]healthCase, 0, len(tests.Tests))
	for _, tc := range tests.Tests {
		obj, err := readObject(filepath.Join(dir, tc.InputPath), kind)
		if err != nil {
			t.Fatalf("%s/%s: %v", kind, tc.InputPath, err)
		}
		cases = append(cases, healthCase{kind: kind, input: tc.InputPath, obj: obj, want: tc.HealthStatus})
	}
	return cases
}

// allCases returns the cases of every kind that has a health check.
func allCases(t *testing.T) []healthCase {
	t.Helper()
	var cases []healthCase
	for _, kind := range rootKinds(t) {
		if _, err := os.Stat(filepath.Join(customizations(), kind, "health_test.yaml")); err != nil {
			continue // TestEveryKindHasHealthCheck says so
		}
		cases = append(cases, loadCases(t, kind)...)
	}
	return cases
}

// readObject reads a Wake object of kind from a YAML file, as the API
// server would hand it to a client: integers are int64, as Argo CD and
// kstatus see them. The object must also decode, strictly, into its Go
// type, so that the test data cannot use a field Wake does not have.
func readObject(path, kind string) (*unstructured.Unstructured, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	js, err := yaml.YAMLToJSON(raw)
	if err != nil {
		return nil, err
	}
	obj := &unstructured.Unstructured{}
	if err := obj.UnmarshalJSON(js); err != nil {
		return nil, err
	}
	if gvk := obj.GroupVersionKind(); gvk != servingv1alpha1.GroupVersion.WithKind(kind) {
		return nil, fmt.Errorf("object is a %s, want a %s", gvk, kind)
	}
	s := runtime.NewScheme()
	if err := servingv1alpha1.AddToScheme(s); err != nil {
		return nil, err
	}
	typed, err := s.New(obj.GroupVersionKind())
	if err != nil {
		return nil, err
	}
	if err := yaml.UnmarshalStrict(raw, typed); err != nil {
		return nil, fmt.Errorf("not a valid %s: %w", kind, err)
	}
	return obj, nil
}

// readyCondition returns obj's Ready condition, if it has one.
func readyCondition(obj *unstructured.Unstructured) (map[string]any, bool) {
	conds, _, _ := unstructured.NestedSlice(obj.Object, "status", "conditions")
	for _, c := range conds {
		if m, ok := c.(map[string]any); ok && m["type"] == "Ready" {
			return m, true
		}
	}
	return nil, false
}

// observed reports whether obj's status has an observedGeneration, and
// whether it is the object's generation.
func observed(obj *unstructured.Unstructured) (has, current bool) {
	og, has, _ := unstructured.NestedInt64(obj.Object, "status", "observedGeneration")
	return has, has && og == obj.GetGeneration()
}
