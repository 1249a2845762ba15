// Package validation applies manifests to a real API server with strict
// field validation: those under test/testdata/invalid must be refused with
// their expected message, those under test/testdata/valid and the samples
// under config/samples must be accepted.
package validation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/testenv"
)

// minInvalidFiles is the least number of manifests test/testdata/invalid
// holds, so that a lost file or a broken glob does not pass unnoticed.
const minInvalidFiles = 100

// celFailures are what a refusal says when a CEL rule or message failed to
// run rather than decided: a manifest must be refused by a rule that says
// what is wrong, never by one that broke on it.
var celFailures = []string{
	"compilation failed", "compile error", "evaluation error", "evaluating rule",
	"no such key", "no such overload", "no matching overload", "index out of bounds",
	"cost exceeds", "cost budget", "messageExpression", "<nil>",
}

// uncheckedRules is the cause, naming no field, that the API server adds
// when an object fails its OpenAPI schema (a length, an enum, a required
// field) and the CEL rules were therefore not run.
const uncheckedRules = "some validation rules were not checked because the object was invalid; correct the existing errors to complete validation"

// manifests returns the YAML files of dir under the repository's top
// folder.
func manifests(t *testing.T, dir ...string) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(append(append([]string{testenv.RepoRoot()}, dir...), "*.yaml")...))
	if err != nil {
		t.Fatal(err)
	}
	return files
}

// readDocs splits a YAML file into objects and returns them with the text
// of its "# expect: " first line, if any.
func readDocs(t *testing.T, path string) ([]*unstructured.Unstructured, string) {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	first, _, _ := strings.Cut(string(data), "\n")
	expect, _ := strings.CutPrefix(first, "# expect: ")
	if expect == first {
		expect = ""
	}
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
		objs = append(objs, u)
	}
	if len(objs) == 0 {
		t.Fatalf("%s holds no object", path)
	}
	return objs, expect
}

// inNamespace sets the namespace of the objects that have none.
func inNamespace(ns string, objs []*unstructured.Unstructured) {
	for _, o := range objs {
		if o.GetNamespace() == "" {
			o.SetNamespace(ns)
		}
	}
}

func TestInvalidManifestsAreRefused(t *testing.T) {
	files := manifests(t, "test", "testdata", "invalid")
	if len(files) < minInvalidFiles {
		t.Errorf("test/testdata/invalid holds %d manifests, want at least %d", len(files), minInvalidFiles)
	}
	ctx := context.Background()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			objs, expect := readDocs(t, f)
			if expect == "" {
				t.Fatalf("%s has no '# expect: ' first line", f)
			}
			inNamespace("default", objs)
			last := objs[len(objs)-1]
			for _, o := range objs[:len(objs)-1] {
				if err := k8s.Create(ctx, o); err != nil {
					t.Fatalf("create %s: %v", o.GetName(), err)
				}
				t.Cleanup(func() { _ = k8s.Delete(ctx, o) })
				last.SetResourceVersion(o.GetResourceVersion())
			}
			var err error
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
			checkCauses(t, err)
		})
	}
}

// checkCauses fails t unless each cause of the refusal err names a field
// under spec or metadata and says what is wrong with it, rather than how a
// rule failed to run.
func checkCauses(t *testing.T, err error) {
	t.Helper()
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil || len(status.Status().Details.Causes) == 0 {
		t.Fatalf("refused with\n  %v\nwhich lists no causes", err)
	}
	for _, c := range status.Status().Details.Causes {
		if (c.Field == "" || c.Field == "<nil>") && strings.HasSuffix(c.Message, uncheckedRules) {
			continue
		}
		if root, _, _ := strings.Cut(c.Field, "."); root != "spec" && root != "metadata" {
			t.Errorf("cause %q: %s\nnames no field under spec or metadata", c.Field, c.Message)
		}
		for _, bad := range celFailures {
			if strings.Contains(c.Message, bad) {
				t.Errorf("cause %s: %s\nholds %q: a rule failed to run instead of deciding", c.Field, c.Message, bad)
			}
		}
	}
}

// TestValidManifestsAreAccepted creates each file's objects in a namespace
// of its own, then updates each unchanged: both must be accepted. The files
// set no namespace, so that the e2e suite can apply them the same way.
// TestValidManifestsAreAccepted creates every manifest under
// test/testdata/valid, each file in a namespace of its own, updates each
// object unchanged, and creates the Revision, Deployment and Service Wake
// builds from each Function: all must be accepted.
func TestValidManifestsAreAccepted(t *testing.T) {
	files := manifests(t, "test", "testdata", "valid")
	if len(files) == 0 {
		t.Fatal("no valid manifests found")
	}
	ctx := context.Background()
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			objs, _ := readDocs(t, f)
			ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "valid-"}}
			if err := k8s.Create(ctx, ns); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = k8s.Delete(ctx, ns) })
			for _, o := range objs {
				if o.GetNamespace() != "" {
					t.Fatalf("%s %s sets namespace %q; valid manifests set none", o.GetKind(), o.GetName(), o.GetNamespace())
				}
			}
			inNamespace(ns.Name, objs)
			for _, o := range objs {
				if err := k8s.Create(ctx, o); err != nil {
					t.Fatalf("create %s %s: %v", o.GetKind(), o.GetName(), err)
				}
				t.Cleanup(func() { _ = k8s.Delete(ctx, o) })
			}
			for _, o := range objs {
				if err := k8s.Update(ctx, o); err != nil {
					t.Errorf("update %s %s unchanged: %v", o.GetKind(), o.GetName(), err)
				}
			}
			for _, o := range objs {
				if o.GetKind() == "Function" {
					createChildren(ctx, t, o)
				}
			}
		})
	}
}

func TestSamplesApply(t *testing.T) {
	ctx := context.Background()
	applied := 0
	for _, f := range manifests(t, "config", "samples") {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		objs, _ := readDocs(t, f)
		inNamespace("default", objs)
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

// TestLargestRoutesAreDecided applies Routes at the schema's limits (16
// hosts of 253 characters, 32 rules with 1024-character paths and every
// method, 16 tagged targets each): the pairwise rules (shadowed rules, tag
// hosts) and their messages must decide within the API server's CEL cost
// limits, whether they accept or refuse.
func TestLargestRoutesAreDecided(t *testing.T) {
	for _, tc := range []struct {
		name string
		// wildcard makes every host a wildcard (no tag hosts).
		wildcard bool
		// samePath gives every rule the same path.
		samePath bool
		// refusal is a substring of the refusal; "" wants acceptance.
		refusal string
	}{
		{name: "accepted", wildcard: true},
		{name: "shadowed", wildcard: true, samePath: true, refusal: "spec.rules: Invalid value: the rule (Prefix /"},
		{name: "tag-hosts", refusal: "spec.hosts: Invalid value: tag host t00ttt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rt := largestRoute(tc.name, tc.wildcard, tc.samePath)
			err := k8s.Create(context.Background(), rt)
			if err == nil {
				_ = k8s.Delete(context.Background(), rt)
			}
			switch {
			case tc.refusal == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.refusal != "" && err == nil:
				t.Fatalf("accepted; want refusal containing %q", tc.refusal)
			case tc.refusal != "":
				if !strings.Contains(err.Error(), tc.refusal) {
					t.Fatalf("refused with\n  %.2000s\nwant a message containing\n  %s", err, tc.refusal)
				}
				checkCauses(t, err)
			}
		})
	}
}

// largestRoute returns a Route whose lists and strings are as long as the
// schema allows.
func largestRoute(name string, wildcard, samePath bool) *servingv1alpha1.Route {
	rt := &servingv1alpha1.Route{ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "largest-" + name}}
	for i := range 16 {
		// "*." or "hNN." then labels of 63 up to 253 characters.
		h := fmt.Sprintf("h%02d.", i)
		if wildcard {
			h = "*."
		}
		h += strings.Repeat(string(rune('a'+i)), 63) + "." + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "."
		h += strings.Repeat("d", 253-len(h))
		rt.Spec.Hosts = append(rt.Spec.Hosts, servingv1alpha1.Hostname(h))
	}
	methods := []servingv1alpha1.HTTPMethod{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT", "TRACE"}
	for i := range 32 {
		path := "/" + strings.Repeat("p", 1019) + fmt.Sprintf("/%03d", i)
		if samePath {
			path = "/" + strings.Repeat("p", 1023)
		}
		rule := servingv1alpha1.RouteRule{Match: servingv1alpha1.RouteMatch{
			Path:    &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchPrefix, Value: path},
			Methods: methods,
		}}
		for j := range 16 {
			rule.Traffic = append(rule.Traffic, servingv1alpha1.TrafficTarget{
				FunctionName: strings.Repeat("f", 57),
				Percent:      map[bool]int32{true: 10, false: 6}[j == 0],
				Tag:          fmt.Sprintf("t%02d", j) + strings.Repeat("t", 60),
			})
		}
		rt.Spec.Rules = append(rt.Spec.Rules, rule)
	}
	return rt
}
