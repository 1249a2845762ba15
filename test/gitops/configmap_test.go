package gitops

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
	"sigs.k8s.io/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testenv"
)

var update = flag.Bool("update", false, "rewrite config/argocd/argocd-cm.yaml from the health.lua files")

// configMapPath is the argocd-cm patch generated from the health.lua files.
func configMapPath() string {
	return filepath.Join(testenv.RepoRoot(), "config", "argocd", "argocd-cm.yaml")
}

// configMapKey is the argocd-cm key of kind's health check.
func configMapKey(kind string) string {
	return "resource.customizations.health." + servingv1alpha1.GroupVersion.Group + "_" + kind
}

const configMapHeader = `# Wake's Argo CD health checks, as a patch of Argo CD's argocd-cm ConfigMap
# (a strategic merge patch: it adds these keys and keeps the others).
#
#   kubectl -n argocd patch configmap argocd-cm --patch-file config/argocd/argocd-cm.yaml
#
# or list it under "patches:" of the kustomization that installs Argo CD.
#
# Generated from resource_customizations/serving.wake.dev/*/health.lua by
# "go test ./test/gitops -update": edit those files, not this one.
`

// renderConfigMap renders the argocd-cm patch: one key per kind, its
// health.lua as a literal block.
func renderConfigMap(t *testing.T, kinds []string) string {
	t.Helper()
	var b strings.Builder
	b.WriteString(configMapHeader)
	b.WriteString("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: argocd-cm\ndata:\n")
	for _, kind := range kinds {
		b.WriteString("  " + configMapKey(kind) + ": |\n")
		for _, line := range strings.SplitAfter(readScript(t, kind), "\n") {
			if line == "" {
				continue // after the last newline
			}
			if line != "\n" {
				b.WriteString("    ")
			}
			b.WriteString(line)
		}
	}
	return b.String()
}

// TestArgoCDConfigMap checks that config/argocd/argocd-cm.yaml holds
// exactly the health.lua files, under the keys Argo CD reads, so that the
// two cannot drift. Run with -update to rewrite it.
func TestArgoCDConfigMap(t *testing.T) {
	kinds := rootKinds(t)
	for _, kind := range kinds {
		script := readScript(t, kind)
		// A literal block keeps the text only if every line is plain: no
		// tab to indent, no trailing blank, one final newline.
		for i, line := range strings.Split(strings.TrimSuffix(script, "\n"), "\n") {
			if strings.ContainsRune(line, '\t') || strings.TrimRight(line, " ") != line {
				t.Errorf("%s/health.lua:%d has a tab or trailing blanks", kind, i+1)
			}
		}
		if !strings.HasSuffix(script, "\n") || strings.HasSuffix(script, "\n\n") || strings.HasPrefix(script, " ") {
			t.Errorf("%s/health.lua must start with no blank and end with exactly one newline", kind)
		}
	}
	want := renderConfigMap(t, kinds)
	if *update {
		if err := os.WriteFile(configMapPath(), []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile(configMapPath())
	if err != nil {
		t.Fatalf("%v (run go test ./test/gitops -update to create it)", err)
	}
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("config/argocd/argocd-cm.yaml is stale (-want +got); run go test ./test/gitops -update:\n%s", diff)
	}

	// What Argo CD reads from it is each health.lua, byte for byte.
	var cm corev1.ConfigMap
	if err := yaml.UnmarshalStrict(got, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Name != "argocd-cm" || cm.Kind != "ConfigMap" {
		t.Errorf("patch is of %s %s, want ConfigMap argocd-cm", cm.Kind, cm.Name)
	}
	wantData := map[string]string{}
	for _, kind := range kinds {
		wantData[configMapKey(kind)] = readScript(t, kind)
	}
	if diff := cmp.Diff(wantData, cm.Data); diff != "" {
		t.Errorf("argocd-cm data differs from the health.lua files (-want +got):\n%s", diff)
	}
}

// TestArgoCDConfigMapHealth runs the test cases against the scripts as
// argocd-cm holds them, which is how an Argo CD installation gets them.
func TestArgoCDConfigMapHealth(t *testing.T) {
	raw, err := os.ReadFile(configMapPath())
	if err != nil {
		t.Fatal(err)
	}
	var cm corev1.ConfigMap
	if err := yaml.Unmarshal(raw, &cm); err != nil {
		t.Fatal(err)
	}
	for _, c := range allCases(t) {
		script, ok := cm.Data[configMapKey(c.kind)]
		if !ok {
			t.Errorf("argocd-cm has no %s", configMapKey(c.kind))
			continue
		}
		got, err := runHealthLua(c.obj, script)
		if err != nil {
			t.Errorf("%s: %v", c.name(), err)
			continue
		}
		if got != c.want {
			t.Errorf("%s: health = %+v, want %+v", c.name(), got, c.want)
		}
	}
}

// TestArgoCDConfigMapPatch applies argocd-cm.yaml to an argocd-cm that
// has settings of its own, as "kubectl patch" and kustomize do (a
// strategic merge patch): Wake's keys are added, the others kept.
func TestArgoCDConfigMapPatch(t *testing.T) {
	raw, err := os.ReadFile(configMapPath())
	if err != nil {
		t.Fatal(err)
	}
	patch, err := yaml.YAMLToJSON(raw)
	if err != nil {
		t.Fatal(err)
	}
	own := map[string]string{
		"url": "https://argocd.example.com",
		"resource.customizations.health.example.com_Widget": "hs = {status = \"Healthy\"}\nreturn hs\n",
	}
	orig := &corev1.ConfigMap{Data: own}
	orig.APIVersion, orig.Kind = "v1", "ConfigMap"
	orig.Name, orig.Namespace = "argocd-cm", "argocd"
	origJSON, err := json.Marshal(orig)
	if err != nil {
		t.Fatal(err)
	}
	merged, err := strategicpatch.StrategicMergePatch(origJSON, patch, corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	var got corev1.ConfigMap
	if err := json.Unmarshal(merged, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for k, v := range own {
		want[k] = v
	}
	for _, kind := range rootKinds(t) {
		want[configMapKey(kind)] = readScript(t, kind)
	}
	if diff := cmp.Diff(want, got.Data); diff != "" {
		t.Errorf("patched argocd-cm data (-want +got):\n%s", diff)
	}
	if got.Namespace != "argocd" || got.Name != "argocd-cm" {
		t.Errorf("patched object is %s/%s, want argocd/argocd-cm", got.Namespace, got.Name)
	}
}
