package testutil

import (
	"errors"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Metric is what a test expects of one gathered metric family.
type Metric struct {
	// Type is "counter", "gauge", "histogram", "summary" or "untyped".
	Type string
	// Labels are the label names of every series, in any order.
	Labels []string
}

// documented matches a metric name in README.md and the label names it may
// give in braces: `wake_activator_refused_total{reason}`.
var documented = regexp.MustCompile(`\bwake_[a-z0-9_]*[a-z0-9](?:\{([a-z_, ]*)\})?`)

// DocumentedMetrics returns the metrics whose names README.md gives with
// prefix, each with the label names it gives in braces (none if it gives
// none). README.md is the one next to the module's go.mod.
func DocumentedMetrics(t testing.TB, prefix string) map[string][]string {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(moduleRoot(t), "README.md"))
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	out := parseDocumented(string(readme), prefix)
	if len(out) == 0 {
		t.Fatalf("README.md names no metric starting with %q", prefix)
	}
	return out
}

// parseDocumented returns the metric names in text that start with prefix,
// each with the label names given in braces after it.
func parseDocumented(text, prefix string) map[string][]string {
	out := map[string][]string{}
	for _, m := range documented.FindAllStringSubmatch(text, -1) {
		name, _, _ := strings.Cut(m[0], "{")
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		labels := out[name]
		for l := range strings.SplitSeq(m[1], ",") {
			if l = strings.TrimSpace(l); l != "" && !slices.Contains(labels, l) {
				labels = append(labels, l)
			}
		}
		out[name] = labels
	}
	return out
}

// moduleRoot returns the nearest directory above the working directory
// that holds go.mod.
func moduleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("no go.mod above the working directory")
		}
		dir = parent
	}
}

// CheckDocumentedMetrics holds g, want and README.md to each other for the
// metrics named with prefix: every one README.md names must be in want, or
// in elsewhere (those another package registers and checks); every one in
// want must be named in README.md and gathered from g, of want's type and
// with exactly want's label names on every series, which must include the
// label names README.md gives in braces. So a metric renamed in the code or
// in README.md, or a README.md name without a metric, fails the test.
func CheckDocumentedMetrics(t testing.TB, g prometheus.Gatherer, prefix string, want map[string]Metric, elsewhere ...string) {
	t.Helper()
	docs := DocumentedMetrics(t, prefix)
	for name := range docs {
		if _, ok := want[name]; !ok && !slices.Contains(elsewhere, name) {
			t.Errorf("README.md names %s, which this test does not check: add it (or register the metric)", name)
		}
	}
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, name := range slices.Sorted(maps.Keys(want)) {
		w := want[name]
		docLabels, ok := docs[name]
		if !ok {
			t.Errorf("%s is not named in README.md (renamed there, or not documented)", name)
		}
		for _, l := range docLabels {
			if !slices.Contains(w.Labels, l) {
				t.Errorf("%s: README.md gives label %q, the test wants %v", name, l, w.Labels)
			}
		}
		wantLabels := slices.Sorted(slices.Values(w.Labels))
		found := false
		for _, mf := range mfs {
			if mf.GetName() != name {
				continue
			}
			found = true
			if got := strings.ToLower(mf.GetType().String()); got != w.Type {
				t.Errorf("%s is a %s, want a %s", name, got, w.Type)
			}
			for _, m := range mf.GetMetric() {
				got := make([]string, 0, len(m.GetLabel()))
				for _, lp := range m.GetLabel() {
					got = append(got, lp.GetName())
				}
				if slices.Sort(got); !slices.Equal(got, wantLabels) {
					t.Errorf("%s has a series with labels %v, want %v", name, got, wantLabels)
					break
				}
			}
		}
		if !found {
			t.Errorf("%s is not gathered: renamed, not registered, or not observed by the test", name)
		}
	}
}

// MetricValue returns the value of the series of metric name whose labels
// include labels: a counter's or gauge's value, a histogram's or summary's
// sample count. ok is false if there is no such series.
func MetricValue(t testing.TB, g prometheus.Gatherer, name string, labels map[string]string) (v float64, ok bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			have := map[string]string{}
			for _, lp := range m.GetLabel() {
				have[lp.GetName()] = lp.GetValue()
			}
			for k, want := range labels {
				if v, ok := have[k]; !ok || v != want {
					continue series
				}
			}
			switch {
			case m.GetCounter() != nil:
				return m.GetCounter().GetValue(), true
			case m.GetGauge() != nil:
				return m.GetGauge().GetValue(), true
			case m.GetHistogram() != nil:
				return float64(m.GetHistogram().GetSampleCount()), true
			case m.GetSummary() != nil:
				return float64(m.GetSummary().GetSampleCount()), true
			case m.GetUntyped() != nil:
				return m.GetUntyped().GetValue(), true
			}
		}
	}
	return 0, false
}
