package kubectlwake

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/names"
)

// statusLong documents the status commands, the cold-start phases above
// all.
const statusLong = `Show why a Function or Route is or is not ready, in one sentence, with its
conditions, its revisions and traffic, and the phases of its last cold start.

The sentence follows Ready to the condition that decided it: a Function's
latest created Revision, a Route's hosts or the revisions its traffic
resolves to, a Revision's ResourcesAvailable and ContainerHealthy.

The last cold start is read from the newest pod of the revisions (the
revision that most recently started a pod), split at the times Kubernetes
recorded:

  scale-up   Deployment scaled up from zero -> pod created: the Deployment and
             ReplicaSet controllers (from the Deployment's ScalingReplicaSet
             event, else the Revision's Active condition, in the 10 minutes
             before the pod; left out when neither tells, e.g. once the
             event expired, an hour later by default)
  schedule   -> PodScheduled: the scheduler binds the pod to a node
  admit      -> Initialized: the kubelet admits the pod and runs init containers
  sandbox    -> PodReadyToStartContainers: pod sandbox and network (CNI) ready
  start      -> container started: image pulled if not cached, container started
  app-ready  -> ContainersReady: the app listens and passes its readiness probe
  ready      -> Ready: readiness gates; then the endpoint is published and the
             activator sends the held requests (not in the API: see the
             Wake-Cold-Start response header and the activator's metrics)

A pod added while other pods of its revision were ready is a scale-out, not
a wake from zero, and is shown as such. Times are whole seconds.`

// newStatusCommand returns `status function|route NAME`.
func newStatusCommand(e *env) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status (function|route) NAME",
		Short: "Why a Function or Route is not ready, its revisions, traffic and last cold start",
		Long:  statusLong,
		Example: `  kubectl wake status function hello
  kubectl wake status fn hello -n team-a -o yaml
  kubectl wake status route api`,
	}
	addOutputFlag(cmd, &format)
	for _, kind := range []struct {
		use     string
		aliases []string
		run     func(context.Context, client.Client, string, string) (*Report, error)
	}{
		{"function NAME", []string{"fn", "functions"}, e.functionReport},
		{"route NAME", []string{"rt", "routes"}, e.routeReport},
	} {
		cmd.AddCommand(&cobra.Command{
			Use:     kind.use,
			Aliases: kind.aliases,
			Short:   "Status of one " + kind.use[:len(kind.use)-len(" NAME")],
			Long:    statusLong,
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				if err := checkFormat(format); err != nil {
					return err
				}
				c, ns, err := e.setup()
				if err != nil {
					return err
				}
				r, err := kind.run(cmd.Context(), c, ns, args[0])
				if err != nil {
					return err
				}
				if format != formatText {
					return printData(e.out, format, r)
				}
				p := &printer{w: e.out}
				r.print(p, e.now)
				return p.err
			},
		})
	}
	return cmd
}

// Report is what `status` finds about a Function or Route.
type Report struct {
	Kind      string `json:"kind"`
	Namespace string `json:"namespace"`
	Name      string `json:"name"`
	URL       string `json:"url,omitempty"`
	// Ready is the Ready condition's status: True, False or Unknown.
	Ready string `json:"ready"`
	// Why says in one sentence why it is not ready, or what it serves.
	Why string `json:"why"`
	// Warnings are conditions, of the object or its revisions, that do
	// not decide Ready but need action.
	Warnings   []string      `json:"warnings,omitempty"`
	Conditions []Condition   `json:"conditions"`
	Revisions  []RevisionRow `json:"revisions"`
	// Traffic is where requests go: a Function's URL to its latest ready
	// revision, a Route's rules to their resolved targets.
	Traffic []TrafficRow `json:"traffic"`
	// LastColdStart is the newest pod's start; nil when no pod is left,
	// or when the pods cannot be read (LastColdStartUnknown says why).
	LastColdStart        *ColdStart `json:"lastColdStart,omitempty"`
	LastColdStartUnknown string     `json:"lastColdStartUnknown,omitempty"`
}

// RevisionRow is one revision as `status` shows it.
type RevisionRow struct {
	Name            string `json:"name"`
	Ready           string `json:"ready"`
	Reason          string `json:"reason,omitempty"`
	Active          string `json:"active"`
	ActualReplicas  *int32 `json:"actualReplicas,omitempty"`
	DesiredReplicas *int32 `json:"desiredReplicas,omitempty"`
	// Percent is the Function's traffic it receives (Functions only).
	Percent int32 `json:"percent"`
	// Notes say what the revision is to its Function: latest created,
	// latest ready; "missing" for a Route target that does not exist.
	Notes   []string  `json:"notes,omitempty"`
	Created time.Time `json:"created,omitzero"`
}

// TrafficRow is one traffic target.
type TrafficRow struct {
	// Rule is the Route rule's index (Routes only).
	Rule *int `json:"rule,omitempty"`
	// Match is the rule's path and methods (Routes only).
	Match    string `json:"match,omitempty"`
	Function string `json:"function,omitempty"`
	Revision string `json:"revision"`
	Percent  int32  `json:"percent"`
	Tag      string `json:"tag,omitempty"`
	URL      string `json:"url,omitempty"`
}

// functionReport reads Function ns/name, its revisions and their pods.
func (e *env) functionReport(ctx context.Context, c client.Client, ns, name string) (*Report, error) {
	fn := &servingv1alpha1.Function{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, fn); err != nil {
		return nil, readErr(err, "function", ns, name)
	}
	list := &servingv1alpha1.RevisionList{}
	if err := c.List(ctx, list, client.InNamespace(ns), client.MatchingLabels{servingv1alpha1.FunctionLabelKey: name}); err != nil {
		return nil, listErr(err, "revisions")
	}
	revs := make(map[string]*servingv1alpha1.Revision, len(list.Items))
	for i := range list.Items {
		revs[list.Items[i].Name] = &list.Items[i]
	}
	r := &Report{
		Kind: "Function", Namespace: ns, Name: name,
		Ready:      conditionStatus(fn.Status.GetCondition(apis.ConditionReady)),
		Why:        FunctionWhy(fn, revs),
		Warnings:   warnings("", &fn.Status.Status),
		Conditions: conditionsOf(fn.Status.Conditions),
		Revisions:  []RevisionRow{},
		Traffic:    []TrafficRow{},
	}
	if fn.Status.URL != nil {
		r.URL = fn.Status.URL.String()
	}
	if latest := fn.Status.LatestReadyRevisionName; latest != "" {
		r.Traffic = append(r.Traffic, TrafficRow{Function: name, Revision: latest, Percent: 100, URL: r.URL})
	}
	sorted := make([]*servingv1alpha1.Revision, 0, len(revs))
	for _, rev := range revs {
		sorted = append(sorted, rev)
	}
	// Newest first: by revision number, then by name.
	sort.Slice(sorted, func(i, j int) bool {
		a, b := names.RevisionNumber(name, sorted[i].Name), names.RevisionNumber(name, sorted[j].Name)
		if a != b {
			return a > b
		}
		return sorted[i].Name > sorted[j].Name
	})
	for _, rev := range sorted {
		row := revisionRow(rev)
		if rev.Name == fn.Status.LatestReadyRevisionName {
			row.Percent = 100
			row.Notes = append(row.Notes, "latest ready")
		}
		if rev.Name == fn.Status.LatestCreatedRevisionName {
			row.Notes = append(row.Notes, "latest created")
		}
		r.Revisions = append(r.Revisions, row)
		r.Warnings = append(r.Warnings, warnings("revision "+rev.Name, &rev.Status.Status)...)
	}
	var err error
	if r.LastColdStart, r.LastColdStartUnknown, err = lastColdStart(ctx, c, ns, revs); err != nil {
		return nil, err
	}
	return r, nil
}

// revisionRow is rev's row, without what its Function or Route says of it.
func revisionRow(rev *servingv1alpha1.Revision) RevisionRow {
	s := &rev.Status
	row := RevisionRow{
		Name:           rev.Name,
		Ready:          conditionStatus(s.GetCondition(apis.ConditionReady)),
		Active:         conditionStatus(s.GetCondition(servingv1alpha1.RevisionConditionActive)),
		ActualReplicas: s.ActualReplicas, DesiredReplicas: s.DesiredReplicas,
		Created: rev.CreationTimestamp.Time,
	}
	if c := s.GetCondition(apis.ConditionReady); c != nil && !c.IsTrue() {
		row.Reason = decidingCondition(&s.Status, revisionDependents).Reason
	}
	if c := s.GetCondition(servingv1alpha1.RevisionConditionActive); c != nil && !c.IsTrue() && c.Reason != "" {
		row.Active += " (" + c.Reason + ")"
	}
	return row
}

// pods is a revision's pods as "actual/desired".
func (row *RevisionRow) pods() string {
	n := func(p *int32) string {
		if p == nil {
			return "-"
		}
		return strconv.Itoa(int(*p))
	}
	return n(row.ActualReplicas) + "/" + n(row.DesiredReplicas)
}

// lastColdStart finds the newest pod of revs and splits its start into
// phases; nil when they have no pod, or with why not when the user may not
// list pods (status is still worth showing without it).
func lastColdStart(ctx context.Context, c client.Client, ns string, revs map[string]*servingv1alpha1.Revision) (*ColdStart, string, error) {
	if len(revs) == 0 {
		return nil, "", nil
	}
	revNames := make([]string, 0, len(revs))
	for n := range revs {
		revNames = append(revNames, n)
	}
	sort.Strings(revNames)
	req, err := labels.NewRequirement(servingv1alpha1.RevisionLabelKey, selection.In, revNames)
	if err != nil {
		return nil, "", fmt.Errorf("select the pods of revisions %v: %w", revNames, err)
	}
	pods := &corev1.PodList{}
	err = c.List(ctx, pods, client.InNamespace(ns), client.MatchingLabelsSelector{Selector: labels.NewSelector().Add(*req)})
	switch {
	case apierrors.IsForbidden(err):
		return nil, "you may not list pods in namespace " + ns, nil
	case err != nil:
		return nil, "", listErr(err, "pods")
	}
	pod := newestPod(pods.Items)
	if pod == nil {
		return nil, "", nil
	}
	rev := revs[pod.Labels[servingv1alpha1.RevisionLabelKey]]
	var siblings []corev1.Pod
	for _, p := range pods.Items {
		if p.Labels[servingv1alpha1.RevisionLabelKey] == rev.Name {
			siblings = append(siblings, p)
		}
	}
	scaled, from, err := scaledUpAt(ctx, c, rev, pod.CreationTimestamp.Time)
	if err != nil {
		return nil, "", err
	}
	return ColdStartOf(pod, siblings, scaled, from, resources.ContainerName(rev)), "", nil
}

// scaledUpAt returns when rev's Deployment was last scaled up from zero
// in the scaleUpWindow before a pod created at created, and where that
// came from: its ScalingReplicaSet event, else the Revision's Active
// condition turning True; zero when neither tells.
func scaledUpAt(ctx context.Context, c client.Client, rev *servingv1alpha1.Revision, created time.Time) (time.Time, string, error) {
	// The Deployment controller records its event after it scaled, and
	// the ReplicaSet may create the pod first: allow the same second.
	by := created.Add(time.Second)
	events := &corev1.EventList{}
	err := c.List(ctx, events, client.InNamespace(rev.Namespace), client.MatchingFields{
		"involvedObject.kind": "Deployment",
		"involvedObject.name": names.Deployment(rev.Name),
		"reason":              "ScalingReplicaSet",
	})
	switch {
	case apierrors.IsForbidden(err):
		// Without events, the Revision's condition may still tell.
	case err != nil:
		return time.Time{}, "", listErr(err, "events")
	}
	if t, ok := lastScaleFromZero(events.Items, by); ok {
		return t, "Deployment's ScalingReplicaSet event", nil
	}
	if a := rev.Status.GetCondition(servingv1alpha1.RevisionConditionActive); a.IsTrue() &&
		!a.LastTransitionTime.Inner.After(by) && !a.LastTransitionTime.Inner.Time.Before(by.Add(-scaleUpWindow)) {
		return a.LastTransitionTime.Inner.Time, "Revision's Active condition", nil
	}
	return time.Time{}, "", nil
}

// print writes r for people.
func (r *Report) print(p *printer, now func() time.Time) {
	p.printf("%s %s/%s", r.Kind, r.Namespace, r.Name)
	if r.URL != "" {
		p.printf("  %s", r.URL)
	}
	p.printf("\nReady:   %s\nWhy:     %s\n", r.Ready, r.Why)
	for _, warn := range r.Warnings {
		p.printf("Warning: %s\n", warn)
	}
	p.println("\nConditions:")
	printConditions(p, now, r.Conditions)
	if r.Kind == "Function" {
		r.printRevisions(p, now)
	} else {
		r.printRouteTraffic(p)
	}
	p.println()
	switch {
	case r.LastColdStart != nil:
		printColdStart(p, now, r.LastColdStart)
	case r.LastColdStartUnknown != "":
		p.printf("Last cold start: not known: %s.\n", r.LastColdStartUnknown)
	case len(r.Revisions) == 0:
		p.println("Last cold start: no revision to read it from.")
	default:
		p.println("Last cold start: no pod is left to read it from (scaled to zero).")
	}
}

// printRevisions writes a Function's revisions with their traffic.
func (r *Report) printRevisions(p *printer, now func() time.Time) {
	p.println("\nRevisions:")
	if len(r.Revisions) == 0 {
		p.println("none")
		return
	}
	t := newTable(p, "NAME", "READY", "REASON", "ACTIVE", "PODS", "TRAFFIC", "AGE", "NOTES")
	for _, rev := range r.Revisions {
		t.row(rev.Name, rev.Ready, rev.Reason, rev.Active, rev.pods(), fmt.Sprintf("%d%%", rev.Percent),
			age(now, rev.Created), strings.Join(rev.Notes, ", "))
	}
	t.flush()
}
