package validation

import (
	"fmt"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/runtime"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/feed"
	"github.com/wakefn/wake/internal/activator/routing"
)

// TestAdmittedRulesCanMatch ties the CRD's rule against shadowed rules (CEL
// on spec.rules, which cannot import Go) to the activator's matching, which
// it mirrors: every rule of a Route in test/testdata/valid is reached by
// some request, and in each Route of test/testdata/invalid refused because a
// rule "can never match", that rule, the last, is reached by none.
func TestAdmittedRulesCanMatch(t *testing.T) {
	for _, dir := range []string{"valid", "invalid"} {
		for _, f := range manifests(t, "test", "testdata", dir) {
			objs, expect := readDocs(t, f)
			if dir == "invalid" && !strings.Contains(expect, "can never match") {
				continue
			}
			for _, o := range objs {
				if o.GetKind() != "Route" {
					continue
				}
				rt := &servingv1alpha1.Route{}
				if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, rt); err != nil {
					t.Fatalf("%s: %v", f, err)
				}
				got := unreachableRules(t, rt)
				var want []int
				if dir == "invalid" {
					want = []int{len(rt.Spec.Rules) - 1}
				}
				if !slices.Equal(got, want) {
					t.Errorf("%s/%s: rules no request reaches: %v, want %v", dir, filepath.Base(f), got, want)
				}
			}
		}
	}
}

// unreachableRules returns the indexes of rt's rules that no request to its
// first host reaches in the activator's routing table, trying each rule's
// path (and, for a Prefix, paths below it) with every method it allows.
func unreachableRules(t *testing.T, rt *servingv1alpha1.Route) []int {
	t.Helper()
	rt = rt.DeepCopy()
	rt.Namespace = "witness"
	rt.Status = servingv1alpha1.RouteStatus{}
	rt.Status.InitializeConditions()
	rt.Status.MarkHostsClaimed()
	for i := range rt.Spec.Rules {
		rt.Status.Rules = append(rt.Status.Rules, servingv1alpha1.RuleStatus{
			Traffic: []servingv1alpha1.ResolvedTarget{{RevisionName: fmt.Sprintf("rule-%d", i), Percent: 100}},
		})
	}
	table, problems := routing.Build(feed.BuildInput("cluster.test", nil, nil, []servingv1alpha1.Route{*rt}, nil))
	if len(problems) > 0 {
		t.Fatalf("route %s: routing problems: %v", rt.Name, problems)
	}
	host := strings.Replace(string(rt.Spec.Hosts[0]), "*.", "witness.", 1)
	var out []int
	for i, rule := range rt.Spec.Rules {
		if !reached(table, host, rule, fmt.Sprintf("rule-%d", i)) {
			out = append(out, i)
		}
	}
	return out
}

// reached reports whether a request the rule matches resolves to rev.
func reached(table *routing.Table, host string, rule servingv1alpha1.RouteRule, rev string) bool {
	paths := []string{"/", "/~witness"}
	if p := rule.Match.Path; p != nil && p.Type == servingv1alpha1.PathMatchExact {
		paths = []string{p.Value}
	} else if p != nil {
		prefix := strings.TrimRight(p.Value, "/")
		paths = []string{prefix, prefix + "/", prefix + "/~witness"}
	}
	methods := []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace, "PROPFIND"}
	if len(rule.Match.Methods) > 0 {
		methods = nil
		for _, m := range rule.Match.Methods {
			methods = append(methods, string(m))
		}
	}
	for _, p := range paths {
		for _, m := range methods {
			res := table.Lookup(host, p, m, nil)
			if res.Kind == routing.Found && res.Revision.Key.Name == rev {
				return true
			}
		}
	}
	return false
}
