// Package validation applies manifests to a real API server: those under
// test/testdata/invalid must be refused with their expected message, and the
// samples under config/samples must be accepted.
package validation

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/testenv"
)

var k8s client.Client

func TestMain(m *testing.M) {
	env, err := testenv.Start()
	if err != nil {
		panic(err)
	}
	k8s, err = client.New(env.Config, client.Options{Scheme: env.Scheme})
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = env.Stop()
	os.Exit(code)
}

// readDocs splits a YAML file into objects.
func readDocs(t *testing.T, path string) ([]*unstructured.Unstructured, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	expect, _ := strings.CutPrefix(first, "# expect: ")
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	var objs []*unstructured.Unstructured
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			break
		}
		if len(u.Object) == 0 {
			continue
		}
		if u.GetNamespace() == "" {
			u.SetNamespace("default")
		}
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatalf("%s holds no object", path)
	}
	return objs, expect
}

func TestInvalidManifestsAreRefused(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "test", "testdata", "invalid", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no invalid manifests found: %v", err)
	}
	ctx := context.Background()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			objs, expect := readDocs(t, f)
			if expect == "" {
				t.Fatalf("%s has no '# expect: ' first line", f)
			}
			last := objs[len(objs)-1]
			for _, o := range objs[:len(objs)-1] {
				if err := k8s.Create(ctx, o); err != nil {
					t.Fatalf("create %s: %v", o.GetName(), err)
				}
				t.Cleanup(func() { _ = k8s.Delete(ctx, o) })
				last.SetResourceVersion(o.GetResourceVersion())
			}
			if len(objs) == 1 {
				err = k8s.Create(ctx, last)
			} else {
				err = k8s.Update(ctx, last)
			}
			if err == nil {
				_ = k8s.Delete(ctx, last)
				t.Fatalf("accepted; want refusal containing %q", expect)
			}
			if !strings.Contains(err.Error(), expect) {
				t.Fatalf("refused with\n  %v\nwant a message containing\n  %s", err, expect)
			}
		})
	}
}

func TestSamplesApply(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(testenv.RepoRoot(), "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	applied := 0
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		objs, _ := readDocs(t, f)
		for _, o := range objs {
			if err := k8s.Create(ctx, o); err != nil {
				t.Errorf("%s: create %s %s: %v", filepath.Base(f), o.GetKind(), o.GetName(), err)
				continue
			}
			applied++
			_ = k8s.Delete(ctx, o)
		}
	}
	if applied == 0 {
		t.Fatal("no sample applied")
	}
}
