// Package golden compares test output with golden files under testdata/.
// Run a package's tests with -update to rewrite its golden files.
package golden

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"sigs.k8s.io/yaml"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// AssertText compares got with testdata/name.
func AssertText(t *testing.T, name, got string) {
	t.Helper()
	Assert(t, name, []byte(got))
}

// AssertYAML marshals objs to YAML, as documents separated by "---", and
// compares them with testdata/name.
func AssertYAML(t *testing.T, name string, objs ...any) {
	t.Helper()
	var b []byte
	for i, o := range objs {
		if i > 0 {
			b = append(b, "---\n"...)
		}
		doc, err := yaml.Marshal(o)
		if err != nil {
			t.Fatalf("marshal %s: %v", name, err)
		}
		b = append(b, doc...)
	}
	Assert(t, name, b)
}

// Assert compares b with testdata/name byte for byte, or writes it there
// with -update.
func Assert(t *testing.T, name string, b []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(b)); diff != "" {
		t.Errorf("%s differs (-want +got), run with -update if intended:\n%s", path, diff)
	}
}
