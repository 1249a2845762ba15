package chart

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// TestHelmTakesOverConfigLocal plays TestHelm (e2e) on an API server
// alone (envtest: no pods run): config/local is applied as `make dev`
// applies it; helm upgrade --install --take-ownership with the local values
// adopts every object and changes none of their fields but Helm's labels
// and annotations (no pod template, so nothing would roll out; a
// Deployment's generation does move, with its annotations); a second
// upgrade changes nothing either; and given back with
// testutil.ReleaseFromHelm the objects are as kubectl left them, no record
// of the release is left, and applying config/local again meets no
// conflict.
func TestHelmTakesOverConfigLocal(t *testing.T) {
	helm := tool(t, "helm", "HELM")
	kubectl := tool(t, "kubectl", "KUBECTL")
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(testenv.RepoRoot(), "bin")
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		missing(t, "kube-apiserver", err)
	}
	env, c := testenv.StartT(t)
	kubeconfig := env.KubeConfig(t)
	with := func(path string, args ...string) {
		t.Helper()
		if _, err := run(t, path, append(args, "--kubeconfig", kubeconfig)...); err != nil {
			t.Fatal(err)
		}
	}
	values, err := filepath.Abs(localValues)
	if err != nil {
		t.Fatal(err)
	}

	// envtest installed the CRDs: --force-conflicts takes them over.
	with(kubectl, "apply", "--server-side", "--force-conflicts", "-k", "config/local")
	objs := decode(t, kustomize(t, "config/local"))
	before := snapshot(t, c, objs)

	with(helm, "upgrade", "--install", "wake", chartDir, "--namespace", "wake-system", "--take-ownership", "--values", values)
	out, err := run(t, helm, "get", "manifest", "wake", "--namespace", "wake-system", "--kubeconfig", kubeconfig)
	if err != nil {
		t.Fatal(err)
	}
	release := decode(t, out)
	adopted := snapshot(t, c, release)
	for k, o := range adopted {
		if o.GetAnnotations()["meta.helm.sh/release-name"] != "wake" {
			t.Errorf("%s is not the release's: annotations %v", k, o.GetAnnotations())
		}
	}
	sameBut(t, "adopted by Helm", before, adopted, withoutHelm)

	with(helm, "upgrade", "wake", chartDir, "--namespace", "wake-system", "--values", values)
	sameBut(t, "upgraded by Helm", before, snapshot(t, c, release), withoutHelm)

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := testutil.ReleaseFromHelm(ctx, c, "wake-system", "wake", release); err != nil {
		t.Fatal(err)
	}
	sameBut(t, "given back", before, snapshot(t, c, objs), nil)
	records := &corev1.SecretList{}
	if err := c.List(ctx, records, client.InNamespace("wake-system"), testutil.HelmRecords("wake")); err != nil {
		t.Fatal(err)
	}
	if len(records.Items) > 0 {
		t.Errorf("%d records of the release left", len(records.Items))
	}
	with(kubectl, "apply", "--server-side", "-k", "config/local")
}

// snapshot returns the objects as they are in the cluster, by key, without
// status and the metadata the API server keeps (uid, resourceVersion,
// generation, managedFields, creationTimestamp). A Deployment's generation
// moves when its annotations change, as Helm's do.
func snapshot(t *testing.T, c client.Client, objs []*unstructured.Unstructured) map[string]*unstructured.Unstructured {
	t.Helper()
	out := map[string]*unstructured.Unstructured{}
	for _, o := range objs {
		live := o.DeepCopy()
		if err := c.Get(context.Background(), client.ObjectKeyFromObject(o), live); err != nil {
			t.Fatalf("%s: %v", key(o), err)
		}
		delete(live.Object, "status")
		live.SetUID("")
		live.SetResourceVersion("")
		live.SetGeneration(0)
		live.SetManagedFields(nil)
		unstructured.RemoveNestedField(live.Object, "metadata", "creationTimestamp")
		out[key(o)] = live
	}
	return out
}

// sameBut fails the test for each object of got that differs from the
// same object in want, once strip (if any) has been applied to it.
func sameBut(t *testing.T, what string, want, got map[string]*unstructured.Unstructured, strip func(*unstructured.Unstructured) *unstructured.Unstructured) {
	t.Helper()
	for k, g := range got {
		if strip != nil {
			g = strip(g)
		}
		w, ok := want[k]
		if !ok {
			t.Errorf("%s: %s was not applied by kubectl", what, k)
			continue
		}
		if diff := cmp.Diff(w.Object, g.Object); diff != "" {
			t.Errorf("%s: %s changed (-before +after):\n%s", what, k, diff)
		}
	}
}
