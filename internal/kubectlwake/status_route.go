package kubectlwake

import (
	"context"
	"fmt"
	"slices"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// routeReport reads Route ns/name, the revisions its traffic resolves to
// and their pods.
func (e *env) routeReport(ctx context.Context, c client.Client, ns, name string) (*Report, error) {
	rt := &servingv1alpha1.Route{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, rt); err != nil {
		return nil, readErr(err, "route", ns, name)
	}
	revs := map[string]*servingv1alpha1.Revision{}
	var missing []string
	r := &Report{
		Kind: "Route", Namespace: ns, Name: name,
		Ready:      conditionStatus(rt.Status.GetCondition(apis.ConditionReady)),
		Warnings:   warnings("", &rt.Status.Status),
		Conditions: conditionsOf(rt.Status.Conditions),
		Revisions:  []RevisionRow{},
		Traffic:    []TrafficRow{},
	}
	if rt.Status.URL != nil {
		r.URL = rt.Status.URL.String()
	}
	for i, rule := range rt.Status.Rules {
		for _, t := range rule.Traffic {
			row := TrafficRow{Rule: &i, Match: ruleMatch(rt, i), Function: t.FunctionName, Revision: t.RevisionName, Percent: t.Percent, Tag: t.Tag}
			if t.URL != nil {
				row.URL = t.URL.String()
			}
			r.Traffic = append(r.Traffic, row)
			if _, seen := revs[t.RevisionName]; seen || t.RevisionName == "" || slices.Contains(missing, t.RevisionName) {
				continue
			}
			rev := &servingv1alpha1.Revision{}
			err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: t.RevisionName}, rev)
			switch {
			case apierrors.IsNotFound(err):
				missing = append(missing, t.RevisionName)
				r.Revisions = append(r.Revisions, RevisionRow{
					Name: t.RevisionName, Ready: "False", Reason: servingv1alpha1.ReasonRevisionMissing, Active: "Unknown", Notes: []string{"missing"},
				})
				continue
			case err != nil:
				return nil, readErr(err, "revision", ns, t.RevisionName)
			}
			revs[rev.Name] = rev
			r.Revisions = append(r.Revisions, revisionRow(rev))
			r.Warnings = append(r.Warnings, warnings("revision "+rev.Name, &rev.Status.Status)...)
		}
	}
	r.Why = RouteWhy(rt, revs)
	var err error
	if r.LastColdStart, r.LastColdStartUnknown, err = lastColdStart(ctx, c, ns, revs); err != nil {
		return nil, err
	}
	return r, nil
}

// ruleMatch describes rule i's match: its path (every path when unset)
// and its methods.
func ruleMatch(rt *servingv1alpha1.Route, i int) string {
	if i >= len(rt.Spec.Rules) {
		return ""
	}
	m := rt.Spec.Rules[i].Match
	out := "Prefix /"
	if m.Path != nil {
		typ := m.Path.Type
		if typ == "" {
			typ = servingv1alpha1.PathMatchPrefix
		}
		out = string(typ) + " " + m.Path.Value
	}
	if len(m.Methods) > 0 {
		ms := make([]string, 0, len(m.Methods))
		for _, x := range m.Methods {
			ms = append(ms, string(x))
		}
		out += " " + strings.Join(ms, ",")
	}
	return out
}

// printRouteTraffic writes a Route's rules, each target with its
// revision's state.
func (r *Report) printRouteTraffic(p *printer) {
	p.println("\nTraffic:")
	if len(r.Traffic) == 0 {
		p.println("none resolved yet")
		return
	}
	byName := make(map[string]RevisionRow, len(r.Revisions))
	for _, rev := range r.Revisions {
		byName[rev.Name] = rev
	}
	t := newTable(p, "RULE", "MATCH", "FUNCTION", "REVISION", "PERCENT", "TAG", "READY", "REASON", "ACTIVE", "PODS")
	for _, tr := range r.Traffic {
		rev := byName[tr.Revision]
		pods := ""
		if rev.Name != "" && !slices.Contains(rev.Notes, "missing") {
			pods = rev.pods()
		}
		t.row(fmt.Sprint(*tr.Rule), tr.Match, tr.Function, tr.Revision, fmt.Sprintf("%d%%", tr.Percent), tr.Tag,
			rev.Ready, rev.Reason, rev.Active, pods)
	}
	t.flush()
}
