package chart

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/wakefn/wake/internal/golden"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// Values files of the tests.
const (
	// allValues sets every value of the chart to something else than its
	// default.
	allValues = "testdata/values-all.yaml"
	// localValues are the values of the local cluster (make dev): the
	// e2e test installs the chart with them.
	localValues = "testdata/values-local.yaml"
)

// withoutHelm returns a copy of o without the labels and annotations the
// chart (and Helm, in a cluster) adds.
func withoutHelm(o *unstructured.Unstructured) *unstructured.Unstructured {
	o = o.DeepCopy()
	labels, annotations := o.GetLabels(), o.GetAnnotations()
	for _, k := range testutil.HelmLabels {
		delete(labels, k)
	}
	for _, k := range testutil.HelmAnnotations {
		delete(annotations, k)
	}
	// An empty map is no map, as in config/.
	if len(labels) == 0 {
		labels = nil
	}
	if len(annotations) == 0 {
		annotations = nil
	}
	o.SetLabels(labels)
	o.SetAnnotations(annotations)
	return o
}

// TestDefaultValuesAreConfigDefault: the chart with its default values
// renders config/default's objects, equal field for field but for the
// labels and the annotation the chart adds.
func TestDefaultValuesAreConfigDefault(t *testing.T) {
	want := byKey(t, decode(t, kustomize(t, "config/default")))
	got := byKey(t, decode(t, mustTemplate(t)))
	compare(t, "config/default", want, got)
	if len(got) != len(want) {
		t.Errorf("the chart renders %d objects, config/default has %d", len(got), len(want))
	}
}

// TestLocalValuesAreConfigLocal: with the local cluster's values (images
// tagged dev, never pulled) the chart renders config/local's objects but
// for the development broker, which the chart does not install. The e2e
// test relies on it: installed with these values, the chart changes none
// of what `make dev` applied.
func TestLocalValuesAreConfigLocal(t *testing.T) {
	local := byKey(t, decode(t, kustomize(t, "config/local")))
	broker := byKey(t, decode(t, kustomize(t, "config/broker")))
	got := byKey(t, decode(t, mustTemplate(t, localValues)))
	want := map[string]*unstructured.Unstructured{}
	for k, o := range local {
		if broker[k] == nil {
			want[k] = o
		}
	}
	compare(t, "config/local", want, got)
	if len(want)+len(broker) != len(local) {
		t.Errorf("config/local lacks objects of config/broker")
	}
}

// compare fails the test for each object of want that got lacks or
// renders differently (once the chart's labels are removed), and for each
// object of got that want lacks.
func compare(t *testing.T, what string, want, got map[string]*unstructured.Unstructured) {
	t.Helper()
	for k, w := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("the chart lacks %s", k)
			continue
		}
		if diff := cmp.Diff(w.Object, withoutHelm(g).Object); diff != "" {
			t.Errorf("%s differs from %s's (-%s +chart):\n%s", k, what, what, diff)
		}
	}
	for k := range got {
		if want[k] == nil {
			t.Errorf("the chart renders %s, which %s lacks", k, what)
		}
	}
}

// TestChartAddsItsLabels: every object the chart renders carries the
// chart's labels, which TestDefaultValuesAreConfigDefault removes.
func TestChartAddsItsLabels(t *testing.T) {
	for _, o := range decode(t, mustTemplate(t)) {
		for _, l := range testutil.HelmLabels {
			if _, ok := o.GetLabels()[l]; !ok {
				t.Errorf("%s lacks the label %s", key(o), l)
			}
		}
	}
}

// TestCRDValues: crds.install renders config/'s CRDs, and crds.keep
// annotates them so that Helm never deletes them.
func TestCRDValues(t *testing.T) {
	want := 0
	for _, o := range decode(t, kustomize(t, "config/default")) {
		if o.GetKind() == "CustomResourceDefinition" {
			want++
		}
	}
	// Each test's name, not its values: helm splits --values at commas.
	tests := []struct {
		name      string
		values    string
		crds      int
		annotated bool
	}{
		{name: "installed and kept", values: "crds: {install: true, keep: true}", crds: want, annotated: true},
		{name: "installed", values: "crds: {install: true, keep: false}", crds: want},
		{name: "not installed", values: "crds: {install: false, keep: true}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n := 0
			for _, o := range decode(t, mustTemplate(t, writeValues(t, tc.values))) {
				if o.GetKind() != "CustomResourceDefinition" {
					continue
				}
				n++
				if got := o.GetAnnotations()["helm.sh/resource-policy"] == "keep"; got != tc.annotated {
					t.Errorf("%s: annotated helm.sh/resource-policy: keep = %v, want %v", o.GetName(), got, tc.annotated)
				}
			}
			if n != tc.crds {
				t.Errorf("%d CRDs, want %d", n, tc.crds)
			}
		})
	}
}

// TestGolden compares `helm template` with golden files (refresh them with
// go test ./test/chart -update): default values, and a values file that
// sets every value.
func TestGolden(t *testing.T) {
	tests := []struct {
		golden string
		values []string
	}{
		{golden: "default.golden.yaml"},
		{golden: "all.golden.yaml", values: []string{allValues}},
	}
	for _, tc := range tests {
		t.Run(tc.golden, func(t *testing.T) {
			golden.Assert(t, tc.golden, mustTemplate(t, tc.values...))
		})
	}
}

// TestAllValuesSetsEveryValue: the values file of the golden test sets
// every value of values.yaml, each to something else than its default, so
// that the golden file shows what each does. wake-config's keys are
// covered by one of them: they all take the same path.
func TestAllValuesSetsEveryValue(t *testing.T) {
	defaults := readYAML(t, filepath.Join(testenv.RepoRoot(), chartDir, "values.yaml"))
	all := readYAML(t, allValues)
	for _, path := range leaves(defaults, "") {
		def, set := lookup(defaults, path), lookup(all, path)
		switch {
		case set == nil:
			t.Errorf("%s does not set %s", allValues, path)
		case path == ".config":
			if !changesAny(def.(map[string]any), set.(map[string]any)) {
				t.Errorf("%s sets no key of config to another value", allValues)
			}
		case cmp.Equal(def, set):
			t.Errorf("%s sets %s to its default %v", allValues, path, def)
		}
	}
}

// leaves returns the paths (".a.b") of the values under v: scalars, empty
// maps, and config as a whole.
func leaves(v any, path string) []string {
	m, ok := v.(map[string]any)
	if !ok || len(m) == 0 || path == ".config" {
		return []string{path}
	}
	var out []string
	for k, c := range m {
		out = append(out, leaves(c, path+"."+k)...)
	}
	slices.Sort(out)
	return out
}

func lookup(v any, path string) any {
	for _, k := range strings.Split(strings.TrimPrefix(path, "."), ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func changesAny(defaults, set map[string]any) bool {
	for k, v := range set {
		if fmt.Sprint(defaults[k]) != fmt.Sprint(v) {
			return true
		}
	}
	return false
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return m
}

// TestSchemaRefusesBadValues: values.schema.json makes helm template fail
// on values of the wrong type or range, and on unknown values.
func TestSchemaRefusesBadValues(t *testing.T) {
	tests := []struct {
		name   string
		values string
	}{
		{name: "negative replicas", values: "controller: {replicas: -1}"},
		{name: "fractional replicas", values: "activator: {replicas: 1.5}"},
		{name: "replicas as a string", values: `dispatcher: {replicas: "2"}`},
		{name: "required value removed", values: "controller: {replicas: null}"},
		{name: "unknown value", values: "replica: 2"},
		{name: "unknown component value", values: "activator: {replica: 2}"},
		{name: "unknown pull policy", values: "dispatcher: {image: {pullPolicy: Sometimes}}"},
		{name: "empty repository", values: `controller: {image: {repository: ""}}`},
		{name: "tag with a colon", values: `controller: {image: {tag: "v1:2"}}`},
		{name: "negative quantity", values: "controller: {resources: {limits: {memory: -1Gi}}}"},
		{name: "malformed quantity", values: "activator: {listenerKeeper: {resources: {requests: {cpu: lots}}}}"},
		{name: "unknown resources field", values: "dispatcher: {resources: {limit: {cpu: 1}}}"},
		{name: "namespace not a DNS label", values: "namespace: Wake_System"},
		{name: "crds.install not a boolean", values: `crds: {install: "yes"}`},
		{name: "unknown config key", values: "config: {domian: example.org}"},
		{name: "config string as a number", values: "config: {domain: 5}"},
		{name: "config value a list", values: "config: {min-scale: [1]}"},
		{name: "malformed scrape interval", values: "monitoring: {serviceMonitor: {interval: soon}}"},
		{name: "negative lag threshold", values: "monitoring: {prometheusRule: {dispatcherLagMessages: -1}}"},
		{name: "labels not strings", values: "monitoring: {prometheusRule: {labels: {release: {name: p}}}}"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := helmTemplate(t, writeValues(t, tc.values))
			if err == nil {
				t.Fatalf("helm template accepted %s; rendered %d bytes", tc.values, len(out))
			}
			if !strings.Contains(err.Error(), "schema") {
				t.Errorf("helm template failed, but not on the schema: %v", err)
			}
		})
	}
}

// TestConfigValues: wake-config's values may be given as numbers and
// booleans, and are merged over the defaults.
func TestConfigValues(t *testing.T) {
	values := writeValues(t, `config:
  min-scale: 1
  activator-queue-depth: 20000000
  max-scale-down-rate: 2.5
  metering-cold-start-billable: true
  domain: functions.example.org
`)
	var cm corev1.ConfigMap
	for _, o := range decode(t, mustTemplate(t, values)) {
		if o.GetKind() == "ConfigMap" && o.GetName() == "wake-config" {
			convert(t, o, &cm)
		}
	}
	want := map[string]string{
		"min-scale":                    "1",
		"activator-queue-depth":        "20000000",
		"max-scale-down-rate":          "2.5",
		"metering-cold-start-billable": "true",
		"domain":                       "functions.example.org",
		"domain-policy":                "claims", // a default kept
	}
	for k, v := range want {
		if cm.Data[k] != v {
			t.Errorf("wake-config %s = %q, want %q", k, cm.Data[k], v)
		}
	}
}

// TestOtherNamespace: in another namespace, no object the chart renders
// names config/'s (CRDs' prose aside), the Namespace is created, and the
// activator and the dispatcher are told where the autoscaler and the
// activators are.
func TestOtherNamespace(t *testing.T) {
	ns := readYAML(t, allValues)["namespace"].(string)
	objs := decode(t, mustTemplate(t, allValues))
	created := false
	for _, o := range objs {
		if o.GetKind() == "CustomResourceDefinition" {
			continue
		}
		if o.GetKind() == "Namespace" && o.GetName() == ns {
			created = true
		}
		b, err := yaml.Marshal(o.Object)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(b), "wake-system") {
			t.Errorf("%s names wake-system:\n%s", key(o), b)
		}
	}
	if !created {
		t.Errorf("no Namespace %s", ns)
	}
	wantArgs := map[string][]string{
		"wake-activator":  {"--autoscaler=wake-autoscaler." + ns + ".svc:8090"},
		"wake-dispatcher": {"--autoscaler=wake-autoscaler." + ns + ".svc:8090", "--activator-url=http://wake-activator." + ns + ".svc"},
	}
	for _, d := range deployments(t, objs) {
		for _, arg := range wantArgs[d.Name] {
			if !slices.Contains(d.Spec.Template.Spec.Containers[0].Args, arg) {
				t.Errorf("%s: args %v lack %s", d.Name, d.Spec.Template.Spec.Containers[0].Args, arg)
			}
		}
	}
}

// TestReleaseNamespaceIsWakes: installed into Wake's namespace, the chart
// leaves the Namespace to Helm (helm install --create-namespace).
func TestReleaseNamespaceIsWakes(t *testing.T) {
	helm := tool(t, "helm", "HELM")
	out, err := run(t, helm, "template", "wake", chartDir, "--namespace", "wake-system")
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range decode(t, out) {
		if o.GetKind() == "Namespace" {
			t.Errorf("the chart renders Namespace %s in its own release's namespace", o.GetName())
		}
	}
}

// TestMetricsServicesTargetPorts: each metrics Service of the monitoring
// option targets a named port of the pods it selects.
func TestMetricsServicesTargetPorts(t *testing.T) {
	objs := decode(t, mustTemplate(t, allValues))
	ports := map[string][]string{} // by pod label app.kubernetes.io/name
	for _, d := range deployments(t, objs) {
		name := d.Spec.Template.Labels["app.kubernetes.io/name"]
		for _, c := range d.Spec.Template.Spec.Containers {
			for _, p := range c.Ports {
				ports[name] = append(ports[name], p.Name)
			}
		}
	}
	n := 0
	for _, o := range objs {
		if o.GetKind() != "Service" || o.GetLabels()["app.kubernetes.io/component"] != "metrics" {
			continue
		}
		n++
		var svc corev1.Service
		convert(t, o, &svc)
		pod := svc.Spec.Selector["app.kubernetes.io/name"]
		for _, p := range svc.Spec.Ports {
			if !slices.Contains(ports[pod], p.TargetPort.StrVal) {
				t.Errorf("Service %s targets port %q; %s's pods have %v", svc.Name, p.TargetPort.String(), pod, ports[pod])
			}
		}
	}
	if n != len(ports) {
		t.Errorf("%d metrics Services for %d Deployments", n, len(ports))
	}
}

// metricRE matches the name of one of Wake's metrics.
var metricRE = regexp.MustCompile(`\bwake_[a-z_]+[a-z]\b`)

// TestAlertsUseDocumentedMetrics: every metric the PrometheusRule's alerts
// query is one README.md documents.
func TestAlertsUseDocumentedMetrics(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	alerts := 0
	for _, o := range decode(t, mustTemplate(t, allValues)) {
		if o.GetKind() != "PrometheusRule" {
			continue
		}
		groups, _, _ := unstructured.NestedSlice(o.Object, "spec", "groups")
		for _, g := range groups {
			rules, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
			for _, r := range rules {
				alerts++
				rule := r.(map[string]any)
				expr, _ := rule["expr"].(string)
				metrics := metricRE.FindAllString(expr, -1)
				if len(metrics) == 0 {
					t.Errorf("alert %v queries no metric of Wake's: %s", rule["alert"], expr)
				}
				for _, m := range metrics {
					if !regexp.MustCompile(`\b` + m + `\b`).Match(readme) {
						t.Errorf("alert %v queries %s, which README.md does not document", rule["alert"], m)
					}
				}
			}
		}
	}
	if alerts == 0 {
		t.Fatal("no alerts rendered")
	}
}

func deployments(t *testing.T, objs []*unstructured.Unstructured) []appsv1.Deployment {
	t.Helper()
	var out []appsv1.Deployment
	for _, o := range objs {
		if o.GetKind() == "Deployment" {
			var d appsv1.Deployment
			convert(t, o, &d)
			out = append(out, d)
		}
	}
	return out
}

func convert(t *testing.T, o *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, into); err != nil {
		t.Fatalf("%s: %v", key(o), err)
	}
}
