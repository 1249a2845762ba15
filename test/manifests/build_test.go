// Package manifests checks the kustomize manifests under config/ statically,
// without a cluster: which of Wake's ports the NetworkPolicies leave open to
// whom.
package manifests

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"

	"github.com/wakefn/wake/internal/testenv"
)

// kustomization is the part of a kustomization.yaml these tests follow:
// the resources it includes and the namespace it sets. Patches and image
// settings change neither policies nor ports, so they are ignored.
type kustomization struct {
	Namespace string   `json:"namespace"`
	Resources []string `json:"resources"`
}

// build returns the objects of the kustomization in dir (relative to the
// repository's top folder), following its resources recursively and
// applying each level's namespace to namespaced objects, as
// `kubectl kustomize` would.
func build(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	objs, err := buildDir(filepath.Join(testenv.RepoRoot(), dir))
	if err != nil {
		t.Fatalf("build %s: %v", dir, err)
	}
	return objs
}

func buildDir(dir string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k kustomization
	if err := yaml.Unmarshal(data, &k); err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	for _, r := range k.Resources {
		path := filepath.Join(dir, r)
		fi, err := os.Stat(path)
		if err != nil {
			return nil, err
		}
		var objs []*unstructured.Unstructured
		if fi.IsDir() {
			objs, err = buildDir(path)
		} else {
			objs, err = readDocs(path)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, objs...)
	}
	if k.Namespace != "" {
		for _, o := range out {
			if !clusterScoped[o.GetKind()] {
				o.SetNamespace(k.Namespace)
			}
		}
	}
	return out, nil
}

// clusterScoped are the kinds under config/ that have no namespace; every
// other object takes the kustomization's.
var clusterScoped = map[string]bool{
	"Namespace": true, "ClusterRole": true, "ClusterRoleBinding": true, "CustomResourceDefinition": true,
}

// readDocs splits a YAML file into objects.
func readDocs(path string) ([]*unstructured.Unstructured, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*unstructured.Unstructured
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(data), 4096)
	for {
		u := &unstructured.Unstructured{}
		if err := dec.Decode(&u.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return out, nil
			}
			return nil, err
		}
		if len(u.Object) > 0 {
			out = append(out, u)
		}
	}
}
