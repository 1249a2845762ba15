// Package chart tests the Helm chart charts/wake, which hack/chart renders
// from config/: rendered with default values it installs the same objects
// as `kubectl kustomize config/default`; golden renders show what every
// value does; values.schema.json refuses bad values. The tests run bin/helm
// and bin/kubectl (or $HELM and $KUBECTL); without them they are skipped,
// unless WAKE_REQUIRE_TOOLS=1 (make test-chart, which builds them).
package chart

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/wakefn/wake/internal/testenv"
)

// chartDir is the chart, from the repository's root.
const chartDir = "charts/wake"

// tool returns the path of bin/name at the repository's root, or of $env
// when set. A missing tool fails the test under WAKE_REQUIRE_TOOLS=1 and
// skips it otherwise.
func tool(t *testing.T, name, env string) string {
	t.Helper()
	path := os.Getenv(env)
	if path == "" {
		path = filepath.Join(testenv.RepoRoot(), "bin", name)
	}
	if _, err := os.Stat(path); err != nil {
		missing(t, name, err)
	}
	return path
}

// missing fails the test for a missing tool under WAKE_REQUIRE_TOOLS=1,
// and skips it otherwise.
func missing(t *testing.T, name string, err error) {
	t.Helper()
	if os.Getenv("WAKE_REQUIRE_TOOLS") == "1" {
		t.Fatalf("%s: %v (make test-chart builds it)", name, err)
	}
	t.Skipf("%s not found (%v): make test-chart builds it and runs these tests", name, err)
}

// run runs a tool in the repository's root and returns its standard
// output, or an error with its standard error.
func run(t *testing.T, path string, args ...string) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, args...)
	cmd.Dir = testenv.RepoRoot()
	// Helm's own files (repositories, cache) in a folder of the test's.
	home := t.TempDir()
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w: %s", filepath.Base(path), strings.Join(args, " "), err, stderr.String())
	}
	return out, nil
}

// helmTemplate renders the chart as release wake with the values files
// (relative to this package), and returns the error helm gave.
func helmTemplate(t *testing.T, valuesFiles ...string) ([]byte, error) {
	t.Helper()
	helm := tool(t, "helm", "HELM")
	args := []string{"template", "wake", chartDir}
	for _, f := range valuesFiles {
		abs, err := filepath.Abs(f)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, "--values", abs)
	}
	return run(t, helm, args...)
}

// mustTemplate is helmTemplate that fails the test on error.
func mustTemplate(t *testing.T, valuesFiles ...string) []byte {
	t.Helper()
	out, err := helmTemplate(t, valuesFiles...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// kustomize returns `kubectl kustomize dir` (dir relative to the
// repository's root).
func kustomize(t *testing.T, dir string) []byte {
	t.Helper()
	out, err := run(t, tool(t, "kubectl", "KUBECTL"), "kustomize", dir)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decode returns the objects of a YAML stream.
func decode(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs
		}
		if err != nil {
			t.Fatal(err)
		}
		j, err := yaml.YAMLToJSON(doc)
		if err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		if string(j) == "null" {
			continue
		}
		o := &unstructured.Unstructured{}
		if err := o.UnmarshalJSON(j); err != nil {
			t.Fatalf("%v in:\n%s", err, doc)
		}
		objs = append(objs, o)
	}
}

// key names an object in a set of objects.
func key(o *unstructured.Unstructured) string {
	return o.GetAPIVersion() + "/" + o.GetKind() + " " + o.GetNamespace() + "/" + o.GetName()
}

// byKey indexes objects by key, failing the test on duplicates.
func byKey(t *testing.T, objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	t.Helper()
	m := make(map[string]*unstructured.Unstructured, len(objs))
	for _, o := range objs {
		if _, dup := m[key(o)]; dup {
			t.Fatalf("%s twice", key(o))
		}
		m[key(o)] = o
	}
	return m
}

// writeValues writes values (YAML) to a file of the test's and returns its
// path.
func writeValues(t *testing.T, values string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "values.yaml")
	if err := os.WriteFile(path, []byte(values), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}
