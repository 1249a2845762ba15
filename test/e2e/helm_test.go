//go:build e2e

package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/testutil"
)

// helmRelease is the Helm release TestHelm makes of Wake.
const helmRelease = "wake"

// TestHelm installs Wake with its Helm chart over what `make dev` applied:
// helm upgrade --install --take-ownership with the local cluster's values
// (test/chart/testdata/values-local.yaml, with which the chart renders
// config/local's objects but the development broker: test/chart checks
// it) adopts every object. Helm then manages them all, the Deployments are
// rolled out, the sample Function (config/local/sample.yaml) and a new one
// serve through the activator, and a second helm upgrade, of a release
// Helm now owns, changes nothing that stops them.
//
// At the end Wake is given back to kubectl as `make dev` left it
// (testutil.ReleaseFromHelm): the labels and annotations Helm and the chart
// added are removed and the release's records (Secrets in wake-system)
// deleted; no object is. The chart changed no field of config/local's, so
// nothing else differs (test/chart's TestHelmTakesOverConfigLocal plays
// this on envtest and checks it); helm uninstall is never run, since it
// would delete Wake. If a release of that name existed before the test, it
// is left as it is.
func TestHelm(t *testing.T) {
	helm := filepath.Join(repoRoot(), "bin", "helm")
	if _, err := os.Stat(helm); err != nil {
		t.Fatalf("%v: make e2e builds bin/helm", err)
	}
	chart := filepath.Join(repoRoot(), "charts", "wake")
	values := filepath.Join(repoRoot(), "test", "chart", "testdata", "values-local.yaml")
	waitControllersReady(t)
	waitActivatorsReady(t)

	ctx := context.Background()
	existed, err := helmReleaseExists(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if existed {
		t.Logf("release %s/%s exists: it is upgraded and left Helm's", systemNamespace, helmRelease)
	} else {
		objs := decodeObjects(t, runHelm(t, helm, "template", helmRelease, chart, "--namespace", systemNamespace, "--values", values))
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := testutil.ReleaseFromHelm(ctx, suite.client, systemNamespace, helmRelease, objs); err != nil {
				t.Errorf("give Wake back to kubectl: %v", err)
			}
		})
	}
	templates := podTemplates(t)

	start := time.Now()
	runHelm(t, helm, "upgrade", "--install", helmRelease, chart, "--namespace", systemNamespace,
		"--values", values, "--take-ownership")
	t.Logf("helm upgrade --install --take-ownership: %s", time.Since(start).Round(10*time.Millisecond))

	release := decodeObjects(t, runHelm(t, helm, "get", "manifest", helmRelease, "--namespace", systemNamespace))
	for _, o := range release {
		live := o.DeepCopy()
		if err := suite.client.Get(ctx, client.ObjectKeyFromObject(o), live); err != nil {
			t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
		if live.GetAnnotations()["meta.helm.sh/release-name"] != helmRelease {
			t.Errorf("%s %s is not the release's: annotations %v", o.GetKind(), o.GetName(), live.GetAnnotations())
		}
	}
	waitRolledOut(t, templates)

	// The sample Function of make dev, applied again as make dev does.
	kubectl(t, time.Minute, "apply", "--server-side", "-f", filepath.Join(repoRoot(), "config", "local", "sample.yaml"))
	sample := waitFunctionReady(t, "default", "hello", 3*time.Minute)
	waitServing(t, sample.Status.URL.Host, bodyIs("Hello"))
	requireAll(t, "the sample function", getAll(sample.Status.URL.Host, "/", 20, 4), http.StatusOK, bodyIs("Hello"))

	// An upgrade of the release Helm owns now; then a new Function.
	runHelm(t, helm, "upgrade", helmRelease, chart, "--namespace", systemNamespace, "--values", values, "--wait", "--timeout", "5m")
	status := runHelm(t, helm, "status", helmRelease, "--namespace", systemNamespace, "--output", "json")
	var st struct {
		Info struct {
			Status string `json:"status"`
		} `json:"info"`
		Version int `json:"version"`
	}
	if err := json.Unmarshal(status, &st); err != nil {
		t.Fatalf("helm status: %v", err)
	}
	if st.Info.Status != "deployed" || st.Version < 2 {
		t.Errorf("release %s: %s, revision %d; want deployed, revision 2 or more", helmRelease, st.Info.Status, st.Version)
	}
	waitRolledOut(t, templates)
	ns := newNamespace(t, "helm")
	const greeting = "Hello from Helm"
	create(t, newFunction(ns, "hello", "hello", withGreeting(greeting)))
	waitFunctionReady(t, ns, "hello", 3*time.Minute)
	waitServing(t, functionHost(ns, "hello"), bodyIs(greeting))
	requireAll(t, "a new function", getAll(functionHost(ns, "hello"), "/", 20, 4), http.StatusOK, bodyIs(greeting))
}

// runHelm runs bin/helm against the suite's cluster, with Helm's own files
// in a folder of the test's, and returns its standard output; it fails the
// test if helm fails.
func runHelm(t *testing.T, helm string, args ...string) []byte {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 6*time.Minute)
	defer cancel()
	home := t.TempDir()
	cmd := exec.CommandContext(ctx, helm, append(args, "--kubeconfig", suite.kubeconfig)...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return out
}

// helmReleaseExists reports whether wake-system holds a record of
// helmRelease.
func helmReleaseExists(ctx context.Context) (bool, error) {
	secrets := &corev1.SecretList{}
	if err := suite.client.List(ctx, secrets, client.InNamespace(systemNamespace), testutil.HelmRecords(helmRelease)); err != nil {
		return false, err
	}
	return len(secrets.Items) > 0, nil
}

// podTemplates returns the pod template of each of Wake's Deployments.
func podTemplates(t *testing.T) map[string]corev1.PodTemplateSpec {
	t.Helper()
	list := &appsv1.DeploymentList{}
	if err := suite.client.List(context.Background(), list, client.InNamespace(systemNamespace),
		client.MatchingLabels{"app.kubernetes.io/part-of": "wake"}); err != nil {
		t.Fatal(err)
	}
	out := map[string]corev1.PodTemplateSpec{}
	for _, d := range list.Items {
		out[d.Name] = d.Spec.Template
	}
	return out
}

// waitRolledOut waits until each Deployment of before is rolled out at its
// size, and logs those whose pod template changed since before (a
// rollout: the chart with the local values should cause none).
func waitRolledOut(t *testing.T, before map[string]corev1.PodTemplateSpec) {
	t.Helper()
	for name, tmpl := range before {
		d := &appsv1.Deployment{}
		if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: systemNamespace, Name: name}, d); err != nil {
			t.Fatal(err)
		}
		if !equality.Semantic.DeepEqual(d.Spec.Template, tmpl) {
			t.Logf("%s: Helm changed the pod template, a rollout", name)
		}
		want := int32(1)
		if d.Spec.Replicas != nil {
			want = *d.Spec.Replicas
		}
		waitDeploymentReady(t, name, want)
	}
}

// decodeObjects returns the objects of a YAML stream.
func decodeObjects(t *testing.T, b []byte) []*unstructured.Unstructured {
	t.Helper()
	dec := utilyaml.NewYAMLOrJSONDecoder(bytes.NewReader(b), 4096)
	var objs []*unstructured.Unstructured
	for {
		o := &unstructured.Unstructured{}
		if err := dec.Decode(&o.Object); err != nil {
			if errors.Is(err, io.EOF) {
				return objs
			}
			t.Fatalf("decode manifests: %v", err)
		}
		if len(o.Object) > 0 {
			objs = append(objs, o)
		}
	}
}
