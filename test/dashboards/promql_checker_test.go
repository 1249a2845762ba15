package dashboards

import (
	"strings"
	"testing"
)

// testFamilies are the metrics TestChecker's queries run against.
var testFamilies = map[string]family{
	"requests_total":    {Type: "counter", Labels: []string{"code", "namespace", "revision"}},
	"duration_seconds":  {Type: "histogram", Labels: []string{"namespace", "revision"}},
	"queue_depth":       {Type: "gauge", Labels: []string{"namespace", "revision"}},
	"refused_total":     {Type: "counter", Labels: []string{"reason"}},
	"revisions":         {Type: "gauge"},
	"ready_deployments": {Type: "gauge", Labels: []string{"deployment", "namespace"}},
}

// TestChecker: the checker passes what Prometheus would answer as meant and
// names what it would not: an unknown metric or label, a counter read as
// a gauge or a gauge as a counter, a histogram without its buckets' le.
func TestChecker(t *testing.T) {
	tests := []struct {
		name   string
		query  string
		legend string
		want   string // in the one error; "" for none
	}{
		{name: "rate by labels", query: `sum by (namespace, revision) (rate(requests_total{code=~"5.."}[5m]))`, legend: "{{namespace}}/{{revision}}"},
		{name: "quantile", query: `histogram_quantile(0.99, sum by (revision, le) (rate(duration_seconds_bucket[5m])))`, legend: "{{revision}}"},
		{name: "count of a histogram", query: `sum(rate(duration_seconds_count[5m]))`},
		{name: "gauge", query: `max by (namespace) (queue_depth{namespace=~".*"})`, legend: "{{namespace}}"},
		{name: "ratio", query: `sum by (revision) (rate(requests_total{code=~"5.."}[5m])) / sum by (revision) (rate(requests_total[5m]))`, legend: "{{revision}}"},
		{name: "join", query: `queue_depth / on (namespace, revision) group_left label_replace(ready_deployments, "revision", "$1", "deployment", "(.*)")`},
		{name: "topk keeps labels", query: `topk(3, sum by (reason) (rate(refused_total[5m])))`, legend: "{{reason}}"},
		{name: "without", query: `sum without (code) (rate(requests_total[5m]))`, legend: "{{revision}}"},
		{name: "scalar side", query: `2 * sum(revisions)`},

		{name: "unknown metric", query: `sum(rate(request_total[5m]))`, want: "request_total: no such metric"},
		{name: "unknown label", query: `sum(rate(refused_total{namespace="a"}[5m]))`, want: `matches label "namespace"`},
		{name: "group by a label it lacks", query: `sum by (namespace) (rate(refused_total[5m]))`, want: `groups by "namespace"`},
		{name: "grouped away", query: `sum by (revision) (sum by (namespace) (queue_depth))`, want: `groups by "revision"`},
		{name: "legend label gone", query: `sum by (namespace) (queue_depth)`, legend: "{{revision}}", want: `legend shows "revision"`},
		{name: "legend after quantile", query: `histogram_quantile(0.5, sum by (le) (rate(duration_seconds_bucket[5m])))`, legend: "{{le}}", want: `legend shows "le"`},
		{name: "counter without rate", query: `sum(requests_total)`, want: "requests_total is a counter"},
		{name: "counter over time", query: `sum(max_over_time(requests_total[5m]))`, want: "requests_total is a counter"},
		{name: "rate of a gauge", query: `sum(rate(queue_depth[5m]))`, want: "queue_depth is a gauge"},
		{name: "histogram by its name", query: `sum(rate(duration_seconds[5m]))`, want: "duration_seconds is a histogram"},
		{name: "buckets without quantile", query: `sum by (le) (rate(duration_seconds_bucket[5m]))`, want: "through histogram_quantile"},
		{name: "quantile without le", query: `histogram_quantile(0.9, sum by (revision) (rate(duration_seconds_bucket[5m])))`, want: "no le label"},
		{name: "bucket of a gauge", query: `sum(rate(queue_depth_bucket[5m]))`, want: "queue_depth_bucket: no such metric"},
		{name: "on a label one side lacks", query: `queue_depth / on (reason) sum by (reason) (rate(refused_total[5m]))`, want: `matches on "reason"`},
		{name: "label_replace from nothing", query: `label_replace(ready_deployments, "revision", "$1", "pod", "(.*)")`, want: `source label "pod"`},
		{name: "syntax", query: `sum(rate(requests_total[5m])`, want: "parse"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &checker{known: testFamilies}
			c.target(tc.query, tc.legend)
			switch {
			case tc.want == "" && len(c.errs) > 0:
				t.Errorf("errors %q, want none", c.errs)
			case tc.want != "" && (len(c.errs) != 1 || !strings.Contains(c.errs[0], tc.want)):
				t.Errorf("errors %q, want one containing %q", c.errs, tc.want)
			}
		})
	}
}

// TestCheckerVariables: a variable's label_values names a metric and one
// of its labels.
func TestCheckerVariables(t *testing.T) {
	tests := []struct {
		query string
		want  string
	}{
		{query: `label_values(queue_depth, namespace)`},
		{query: `label_values(requests_total{namespace=~"$namespace"}, revision)`},
		{query: `label_values(duration_seconds_bucket, le)`},
		{query: `query_result(topk(5, sum by (revision) (rate(requests_total[5m]))))`},
		{query: `label_values(refused_total, namespace)`, want: `has no label "namespace"`},
		{query: `label_values(nothing_total, namespace)`, want: "no such metric"},
		{query: `label_values(namespace)`, want: "not bound to a metric"},
		{query: `metrics(wake_.*)`, want: "only label_values"},
	}
	for _, tc := range tests {
		t.Run(tc.query, func(t *testing.T) {
			c := &checker{known: testFamilies}
			c.variableQuery(tc.query)
			switch {
			case tc.want == "" && len(c.errs) > 0:
				t.Errorf("errors %q, want none", c.errs)
			case tc.want != "" && (len(c.errs) != 1 || !strings.Contains(c.errs[0], tc.want)):
				t.Errorf("errors %q, want one containing %q", c.errs, tc.want)
			}
		})
	}
}
