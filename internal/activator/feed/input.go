// Package feed feeds the activator from the Kubernetes API: it turns
// Functions, Revisions, Routes and EndpointSlices into the routing table and
// the throttler's per-revision state.
//
// What belongs here is every part of the activator that reads the API: the
// caches, the watcher of the routing objects, the system watcher
// (wake-config, the activators' own endpoints) and the pure conversions
// from API objects to the table's and the throttler's inputs. The request
// path (package dataplane and the leaves it wires) never imports it; app
// puts the two together.
package feed

import (
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/cors"
	"github.com/wakefn/wake/internal/activator/reqlog"
	"github.com/wakefn/wake/internal/activator/routing"
)

// BuildInput turns API objects into the routing table's input. Functions
// contribute their default host once they have a ready revision. Routes
// contribute their hosts only while they hold them (HostsClaimed=True) and
// every traffic target has resolved to a revision at least once, with the
// traffic the Route reconciler resolved into their status, and the clients
// of the credential Secrets their apiKeys policies name, from creds.
func BuildInput(domain string, fns []servingv1alpha1.Function, revs []servingv1alpha1.Revision, routes []servingv1alpha1.Route, creds Credentials) routing.Input {
	in := routing.Input{Domain: domain}
	for i := range revs {
		in.Revisions = append(in.Revisions, revisionInput(&revs[i]))
	}
	for i := range fns {
		in.Functions = append(in.Functions, functionInput(&fns[i]))
	}
	for i := range routes {
		if ri, ok := routeInput(&routes[i], creds); ok {
			in.Routes = append(in.Routes, ri)
		}
	}
	return in
}

// RoutingChanged tells whether an update from old to new can change the
// routing table: most updates (status conditions, observed generations,
// labels) cannot, and rebuilding the table for them would cost a core at
// scale. Objects of other kinds, or of two kinds, count as changed.
func RoutingChanged(old, new any) bool {
	switch o := old.(type) {
	case *servingv1alpha1.Function:
		n, ok := new.(*servingv1alpha1.Function)
		return !ok || functionInput(o) != functionInput(n)
	case *servingv1alpha1.Revision:
		n, ok := new.(*servingv1alpha1.Revision)
		return !ok || revisionInput(o) != revisionInput(n)
	case *servingv1alpha1.Route:
		n, ok := new.(*servingv1alpha1.Route)
		if !ok {
			return true
		}
		oi, oOK := routeInput(o, nil)
		ni, nOK := routeInput(n, nil)
		return oOK != nOK || !equality.Semantic.DeepEqual(oi, ni)
	}
	return true
}

func revisionInput(r *servingv1alpha1.Revision) routing.RevisionInput {
	ri := routing.RevisionInput{
		Key:            types.NamespacedName{Namespace: r.Namespace, Name: r.Name},
		TimeoutSeconds: int64(r.Spec.Timeout()),
	}
	if c := r.Spec.ServingContainer(); c != nil {
		ri.Protocol = routing.Protocol(c.ServingProtocol())
	}
	return ri
}

func functionInput(f *servingv1alpha1.Function) routing.FunctionInput {
	return routing.FunctionInput{Namespace: f.Namespace, Name: f.Name, LatestReadyRevision: f.Status.LatestReadyRevisionName}
}

// routeInput converts one Route, its apiKeys policies with the clients of
// creds; ok is false when it must not be served.
func routeInput(rt *servingv1alpha1.Route, creds Credentials) (routing.RouteInput, bool) {
	if !rt.Status.GetCondition(servingv1alpha1.RouteConditionHostsClaimed).IsTrue() ||
		len(rt.Status.Rules) != len(rt.Spec.Rules) {
		return routing.RouteInput{}, false
	}
	ri := routing.RouteInput{Namespace: rt.Namespace, Name: rt.Name}
	for _, h := range rt.Spec.Hosts {
		ri.Hosts = append(ri.Hosts, string(h))
	}
	for i, rule := range rt.Spec.Rules {
		policies := rt.Spec.RulePolicies(i)
		in := routing.RuleInput{Match: matchInput(rule.Match), CORS: corsConfig(policies.CORS), APIKeys: apiKeysConfig(rt.Namespace, policies.APIKeys, creds),
			RateLimit:      rateLimitConfig(rt.Namespace, rt.Name, i, policies.RateLimit),
			UsagePerClient: policies.Usage != nil && policies.Usage.PerClient,
			Logs:           logsConfig(policies.Logs, policies.APIKeys)}
		for _, t := range rt.Status.Rules[i].Traffic {
			if t.RevisionName == "" {
				// A target that never resolved: serving the rest of the
				// split would shift its share to the others.
				return routing.RouteInput{}, false
			}
			in.Traffic = append(in.Traffic, routing.TrafficInput{
				Revision: types.NamespacedName{Namespace: rt.Namespace, Name: t.RevisionName},
				Percent:  int(t.Percent),
				Tag:      t.Tag,
			})
		}
		ri.Rules = append(ri.Rules, in)
	}
	return ri, len(ri.Rules) > 0
}

// logsConfig converts a rule's log policy, redacting the headers its
// credentials may come in; nil logs nothing.
func logsConfig(p *servingv1alpha1.LogPolicy, keys *servingv1alpha1.APIKeyPolicy) *reqlog.Config {
	if p == nil {
		return nil
	}
	c := &reqlog.Config{SamplePercent: int(p.SamplePercent), Headers: strs(p.Headers), Redact: strs(p.RedactHeaders)}
	if c.SamplePercent == 0 {
		c.SamplePercent = 100
	}
	if keys != nil {
		for _, e := range keys.ExtractFrom {
			c.Redact = append(c.Redact, strs(e.Headers)...)
		}
	}
	return c
}

// corsConfig converts a rule's CORS policy; nil has none.
func corsConfig(p *servingv1alpha1.CORSPolicy) *cors.Config {
	if p == nil {
		return nil
	}
	return &cors.Config{
		AllowOrigins:     strs(p.AllowOrigins),
		AllowMethods:     strs(p.AllowMethods),
		AllowHeaders:     strs(p.AllowHeaders),
		ExposeHeaders:    strs(p.ExposeHeaders),
		MaxAgeSeconds:    p.MaxAge,
		AllowCredentials: p.AllowCredentials,
	}
}

// strs converts a list of a string type to []string.
func strs[S ~string](in []S) []string {
	out := make([]string, len(in))
	for i, v := range in {
		out[i] = string(v)
	}
	return out
}

func matchInput(m servingv1alpha1.RouteMatch) routing.MatchInput {
	var mi routing.MatchInput
	if m.Path != nil {
		mi.Path = m.Path.Value
		mi.Type = routing.PathPrefix
		if m.Path.Type == servingv1alpha1.PathMatchExact {
			mi.Type = routing.PathExact
		}
	}
	if len(m.Methods) > 0 {
		mi.Methods = strs(m.Methods)
	}
	return mi
}
