package resolve

import (
	"fmt"
	"strings"

	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/hosts"
)

// Targets is what the reconciler found of the objects a Route's traffic
// names, keyed by name, all in the Route's namespace. A name missing from a
// map does not exist.
type Targets struct {
	// Functions are the Functions named by functionName targets.
	Functions map[string]*servingv1alpha1.Function
	// Revisions are the Revisions named by revisionName targets.
	Revisions map[string]*servingv1alpha1.Revision
}

// Problem is one traffic target that did not resolve to a ready revision.
type Problem struct {
	// Reason is ReasonRevisionMissing, ReasonRevisionFailed or
	// ReasonRevisionNotReady.
	Reason string `json:"reason"`
	// Message names the function or revision at fault, and the revision the
	// target's traffic stays on if one was kept.
	Message string `json:"message"`
}

// Resolution is a Route's traffic resolved against Targets.
type Resolution struct {
	// Rules are the new status.rules: one entry per spec rule, and in each
	// one entry per spec target, in spec order.
	Rules []servingv1alpha1.RuleStatus
	// Problems lists the targets that did not resolve, in spec order,
	// without duplicates.
	Problems []Problem
}

// Traffic resolves each target of rt's rules, in order:
//
//   - functionName: the Function's status.latestReadyRevisionName. A missing
//     Function is RevisionMissing; a Function without a ready revision is
//     RevisionFailed when its Ready condition is False, RevisionNotReady
//     otherwise.
//   - revisionName: the Revision itself, which must exist (else
//     RevisionMissing) and be ready (RevisionFailed when its Ready condition
//     is False, RevisionNotReady while Unknown).
//
// A target that does not resolve keeps the revision it resolved to before,
// so traffic keeps flowing to the last good revision while, say, a Function
// is recreated or a pinned Revision is briefly unready. "Before" is rt's
// current status: a functionName target keeps the revision of the first
// status entry with the same functionName, a revisionName target keeps its
// revision if a status entry already pinned it. The match is by target, not
// by position, so reordering rules or targets does not move traffic to the
// wrong revision. The kept entry takes the target's current percent and tag.
// A target that never resolved gets an empty revisionName: the Route is
// then not fully routable, which AllTrafficAssigned (False or Unknown)
// says. Every entry with a revisionName therefore names a revision that was
// ready (or a Function's latest ready revision) when it was first written.
//
// A target with a tag gets the URL http://{tag}-{host} for the Route's first
// exact host (none if the Route has only wildcard hosts).
func Traffic(rt *servingv1alpha1.Route, targets Targets) Resolution {
	prev := previousResolutions(rt.Status.Rules)
	host := FirstExactHost(rt)
	res := Resolution{Rules: make([]servingv1alpha1.RuleStatus, 0, len(rt.Spec.Rules))}
	seen := map[string]bool{}
	for _, rule := range rt.Spec.Rules {
		rs := servingv1alpha1.RuleStatus{Traffic: make([]servingv1alpha1.ResolvedTarget, 0, len(rule.Traffic))}
		for _, t := range rule.Traffic {
			rev, p := resolveTarget(t, targets)
			if p != nil {
				if kept := prev[targetKey(t.FunctionName, t.RevisionName)]; kept != "" {
					rev = kept
					p.Message += fmt.Sprintf("; traffic stays on revision %q", kept)
				}
				if !seen[p.Message] {
					seen[p.Message] = true
					res.Problems = append(res.Problems, *p)
				}
			}
			out := servingv1alpha1.ResolvedTarget{
				FunctionName: t.FunctionName,
				RevisionName: rev,
				Percent:      t.Percent,
				Tag:          t.Tag,
			}
			if t.Tag != "" && host != "" {
				out.URL = &apis.URL{Scheme: "http", Host: hosts.Tag(t.Tag, host)}
			}
			rs.Traffic = append(rs.Traffic, out)
		}
		res.Rules = append(res.Rules, rs)
	}
	return res
}

// MarkOn sets AllTrafficAssigned on s: True without problems; False when a
// target is missing (reason RevisionMissing) or failed (RevisionFailed);
// Unknown (RevisionNotReady) when targets are only not ready yet. The
// message lists every problem.
func (r Resolution) MarkOn(s *servingv1alpha1.RouteStatus) {
	if len(r.Problems) == 0 {
		s.MarkTrafficAssigned()
		return
	}
	msgs := make([]string, 0, len(r.Problems))
	reason := ""
	for _, p := range r.Problems {
		msgs = append(msgs, p.Message)
		switch {
		case p.Reason == servingv1alpha1.ReasonRevisionMissing:
			reason = p.Reason
		case p.Reason == servingv1alpha1.ReasonRevisionFailed && reason == "":
			reason = p.Reason
		}
	}
	msg := strings.Join(msgs, "; ")
	if reason == "" {
		s.MarkTrafficNotReady(msg)
		return
	}
	s.MarkTrafficMissing(reason, msg)
}

// resolveTarget returns t's revision, or the problem that prevents it.
func resolveTarget(t servingv1alpha1.TrafficTarget, targets Targets) (string, *Problem) {
	if t.FunctionName != "" {
		fn := targets.Functions[t.FunctionName]
		switch {
		case fn == nil:
			return "", &Problem{servingv1alpha1.ReasonRevisionMissing, fmt.Sprintf("function %q not found", t.FunctionName)}
		case fn.Status.LatestReadyRevisionName != "":
			return fn.Status.LatestReadyRevisionName, nil
		}
		if c := fn.Status.GetCondition(apis.ConditionReady); c.IsFalse() {
			return "", &Problem{servingv1alpha1.ReasonRevisionFailed,
				fmt.Sprintf("function %q has no ready revision: %s", t.FunctionName, c.Message)}
		}
		return "", &Problem{servingv1alpha1.ReasonRevisionNotReady,
			fmt.Sprintf("function %q has no ready revision yet", t.FunctionName)}
	}
	rev := targets.Revisions[t.RevisionName]
	switch {
	case rev == nil:
		return "", &Problem{servingv1alpha1.ReasonRevisionMissing, fmt.Sprintf("revision %q not found", t.RevisionName)}
	case rev.Status.IsReady():
		return rev.Name, nil
	case rev.Status.IsFailed():
		return "", &Problem{servingv1alpha1.ReasonRevisionFailed,
			fmt.Sprintf("revision %q failed: %s", t.RevisionName, rev.Status.GetCondition(apis.ConditionReady).Message)}
	}
	return "", &Problem{servingv1alpha1.ReasonRevisionNotReady, fmt.Sprintf("revision %q is not ready yet", t.RevisionName)}
}

// previousResolutions maps each target of a previous status (by targetKey)
// to the first revision it resolved to.
func previousResolutions(rules []servingv1alpha1.RuleStatus) map[string]string {
	prev := map[string]string{}
	for _, rule := range rules {
		for _, t := range rule.Traffic {
			if t.RevisionName == "" {
				continue
			}
			key := targetKey(t.FunctionName, t.RevisionName)
			if _, ok := prev[key]; !ok {
				prev[key] = t.RevisionName
			}
		}
	}
	return prev
}

// targetKey identifies a traffic target: its function, or else its pinned
// revision.
func targetKey(function, revision string) string {
	if function != "" {
		return "function/" + function
	}
	return "revision/" + revision
}
