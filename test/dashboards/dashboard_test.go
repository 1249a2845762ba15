package dashboards

import (
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/wakefn/wake/internal/names"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// dashboardPath is the dashboard, relative to the repository's top folder.
const dashboardPath = "config/grafana/wake.json"

// gridWidth is the width of Grafana's grid.
const gridWidth = 24

// datasourceVar is the dashboard's Prometheus data source variable, which
// every panel and query uses so that the dashboard imports into any
// Grafana.
const datasourceVar = "${datasource}"

// externals are the metrics the dashboard may query that Wake does not
// export, each with what it needs: kube-state-metrics' ready replicas of a
// revision's Deployment (named as the revision), the pods beside the
// autoscaler's desired replicas. A panel reading one says so.
var externals = map[string]family{
	"kube_deployment_status_replicas_ready": {Type: "gauge", Labels: []string{"deployment", "namespace"}},
}

// dashboard is the part of Grafana's dashboard model the tests read.
type dashboard struct {
	Title         string  `json:"title"`
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []variable `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID          int            `json:"id"`
	Type        string         `json:"type"`
	Title       string         `json:"title"`
	Description string         `json:"description"`
	Datasource  *datasourceRef `json:"datasource"`
	GridPos     *gridPos       `json:"gridPos"`
	Targets     []target       `json:"targets"`
	Collapsed   bool           `json:"collapsed"`
	// Panels are a collapsed row's panels.
	Panels []panel `json:"panels"`
}

type datasourceRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

type gridPos struct {
	H int `json:"h"`
	W int `json:"w"`
	X int `json:"x"`
	Y int `json:"y"`
}

type target struct {
	RefID        string         `json:"refId"`
	Expr         string         `json:"expr"`
	LegendFormat string         `json:"legendFormat"`
	Datasource   *datasourceRef `json:"datasource"`
}

type variable struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Query      json.RawMessage `json:"query"`
	Definition string          `json:"definition"`
	Regex      string          `json:"regex"`
	Datasource *datasourceRef  `json:"datasource"`
}

// queryText is a variable's query: a string, or an object's "query".
func (v variable) queryText() (string, error) {
	var s string
	if err := json.Unmarshal(v.Query, &s); err == nil {
		return s, nil
	}
	var o struct {
		Query string `json:"query"`
	}
	if err := json.Unmarshal(v.Query, &o); err != nil {
		return "", fmt.Errorf("variable %s: query is neither a string nor an object with one: %w", v.Name, err)
	}
	return o.Query, nil
}

// loadDashboard reads and decodes the dashboard, strictly: a field this
// test reads with the wrong JSON type fails.
func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(testenv.RepoRoot(), dashboardPath))
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(data, &d); err != nil {
		t.Fatalf("%s: %v", dashboardPath, err)
	}
	return d
}

// allPanels returns the dashboard's panels, a collapsed row's included.
func (d dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// TestDashboardShape: the dashboard imports and lays out as meant: unique
// panel ids, every panel on the grid without overlap, every panel but a
// row titled, described and querying the ${datasource} Prometheus, and a
// datasource variable to choose it.
func TestDashboardShape(t *testing.T) {
	d := loadDashboard(t)
	if d.Title == "" || d.UID == "" || d.SchemaVersion == 0 {
		t.Errorf("title %q, uid %q, schemaVersion %d: want all set", d.Title, d.UID, d.SchemaVersion)
	}
	if !slices.ContainsFunc(d.Templating.List, func(v variable) bool {
		return v.Name == "datasource" && v.Type == "datasource" && string(v.Query) == `"prometheus"`
	}) {
		t.Error(`no variable "datasource" of type datasource choosing a Prometheus`)
	}
	ids := map[int]string{}
	var placed []panel
	for _, p := range d.allPanels() {
		name := fmt.Sprintf("panel %d %q", p.ID, p.Title)
		if prev, dup := ids[p.ID]; dup || p.ID <= 0 {
			t.Errorf("%s: id not positive or also %s's", name, prev)
		}
		ids[p.ID] = p.Title
		if p.Title == "" {
			t.Errorf("%s: no title", name)
		}
		if g := p.GridPos; g == nil || g.W <= 0 || g.H <= 0 || g.X < 0 || g.Y < 0 || g.X+g.W > gridWidth {
			t.Errorf("%s: gridPos %+v not on the %d-wide grid", name, p.GridPos, gridWidth)
		} else {
			for _, o := range placed {
				if overlap(*g, *o.GridPos) {
					t.Errorf("%s overlaps panel %d %q", name, o.ID, o.Title)
				}
			}
			placed = append(placed, p)
		}
		if p.Type == "row" {
			continue
		}
		checkPanelQueries(t, name, p)
	}
}

// checkPanelQueries checks that p describes itself and queries the
// ${datasource} Prometheus.
func checkPanelQueries(t *testing.T, name string, p panel) {
	t.Helper()
	if p.Description == "" {
		t.Errorf("%s: no description", name)
	}
	if !isDatasourceVar(p.Datasource) {
		t.Errorf("%s: datasource %+v, want the prometheus %s", name, p.Datasource, datasourceVar)
	}
	if len(p.Targets) == 0 {
		t.Errorf("%s: no targets", name)
	}
	refIDs := map[string]bool{}
	for _, tg := range p.Targets {
		if tg.RefID == "" || refIDs[tg.RefID] {
			t.Errorf("%s: refId %q empty or repeated", name, tg.RefID)
		}
		refIDs[tg.RefID] = true
		if strings.TrimSpace(tg.Expr) == "" {
			t.Errorf("%s: target %s has no expr", name, tg.RefID)
		}
		if !isDatasourceVar(tg.Datasource) {
			t.Errorf("%s: target %s's datasource %+v, want the prometheus %s", name, tg.RefID, tg.Datasource, datasourceVar)
		}
	}
}

func isDatasourceVar(ds *datasourceRef) bool {
	return ds != nil && ds.Type == "prometheus" && ds.UID == datasourceVar
}

func overlap(a, b gridPos) bool {
	return a.X < b.X+b.W && b.X < a.X+a.W && a.Y < b.Y+b.H && b.Y < a.Y+a.H
}

// TestDashboardQueries: every metric the dashboard queries, in a panel or
// a template variable, is one Wake's binaries register (or one of
// externals), with every label the query matches, groups by, joins on or
// shows in a legend, and read as its type allows (see checker).
func TestDashboardQueries(t *testing.T) {
	d := loadDashboard(t)
	known := wakeRegistries(t)
	maps.Copy(known, externals)
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
	}
	c := &checker{known: known}
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			expr, err := interpolate(tg.Expr, vars)
			if err != nil {
				c.errorf("panel %q: %v", p.Title, err)
				continue
			}
			before := len(c.errs)
			c.target(expr, tg.LegendFormat)
			for i := before; i < len(c.errs); i++ {
				c.errs[i] = fmt.Sprintf("panel %q, target %s: %s", p.Title, tg.RefID, c.errs[i])
			}
		}
	}
	for _, v := range d.Templating.List {
		checkVariable(c, v, vars)
	}
	for _, e := range c.errs {
		t.Error(e)
	}
	for _, name := range slices.Sorted(maps.Keys(known)) {
		_, off := offDashboard[name]
		switch {
		case !c.used[name] && !off:
			t.Errorf("%s is on no panel: add one, or say in offDashboard why not", name)
		case c.used[name] && off:
			t.Errorf("%s is on a panel and in offDashboard: drop it there", name)
		}
	}
}

// offDashboard are the metrics Wake registers that no panel shows, each
// with why; a metric added to Wake gets a panel or a line here.
var offDashboard = map[string]string{}

// checkVariable checks a query variable's query, its definition and its
// data source.
func checkVariable(c *checker, v variable, vars map[string]bool) {
	if v.Type != "query" {
		return
	}
	if !isDatasourceVar(v.Datasource) {
		c.errorf("variable %s: datasource %+v, want the prometheus %s", v.Name, v.Datasource, datasourceVar)
	}
	q, err := v.queryText()
	if err != nil {
		c.errorf("%v", err)
		return
	}
	if v.Definition != "" && v.Definition != q {
		c.errorf("variable %s: definition %q is not its query %q", v.Name, v.Definition, q)
	}
	if v.Regex != "" {
		re := strings.TrimSuffix(strings.TrimPrefix(v.Regex, "/"), "/")
		if _, err := regexp.Compile(re); err != nil {
			c.errorf("variable %s: regex %q: %v", v.Name, v.Regex, err)
		}
	}
	q, err = interpolate(q, vars)
	if err != nil {
		c.errorf("variable %s: %v", v.Name, err)
		return
	}
	before := len(c.errs)
	c.variableQuery(q)
	for i := before; i < len(c.errs); i++ {
		c.errs[i] = fmt.Sprintf("variable %s: %s", v.Name, c.errs[i])
	}
}

// variableRef is a Grafana variable in a query: $name, ${name},
// ${name:format} or [[name]].
var variableRef = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)(?::\w+)?\]\]`)

// grafanaDurations are Grafana's built-in variables that stand for a
// duration; each is replaced by one for parsing.
var grafanaDurations = []string{"__rate_interval", "__interval", "__range"}

// interpolate replaces the Grafana variables in query by values Prometheus
// parses: a duration for Grafana's built-in durations, a regular expression
// matching anything for the dashboard's variables (they are used in =~
// matchers). A reference to a variable the dashboard does not define is an
// error; $1 and the like (label_replace's groups) are left alone.
func interpolate(query string, vars map[string]bool) (string, error) {
	var err error
	out := variableRef.ReplaceAllStringFunc(query, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		switch {
		case strings.Trim(name, "0123456789") == "":
			return ref
		case slices.Contains(grafanaDurations, name):
			return "5m"
		case vars[name]:
			return ".*"
		default:
			err = fmt.Errorf("%s refers to %s, which the dashboard does not define", query, ref)
			return ref
		}
	})
	return out, err
}

// TestRegistriesAreWakes: the registries TestDashboardQueries checks
// against are all of Wake's: every wake_ metric README.md documents is
// gathered from them. The component packages' TestDocumentedMetrics hold
// README.md to their own registries; this holds wakeRegistries to README.md,
// so that a metric added to a binary, documented and checked there, fails
// here until wakeRegistries builds it too.
func TestRegistriesAreWakes(t *testing.T) {
	known := wakeRegistries(t)
	for name, labels := range testutil.DocumentedMetrics(t, "wake_") {
		f, ok := known[name]
		if !ok {
			t.Errorf("README.md documents %s, which wakeRegistries does not gather: build the part that registers it there", name)
			continue
		}
		for _, l := range labels {
			if !slices.Contains(f.Labels, l) {
				t.Errorf("README.md gives %s the label %q; its series have %v", name, l, f.Labels)
			}
		}
	}
	for name := range known {
		if !strings.HasPrefix(name, "wake_") {
			t.Errorf("wakeRegistries gathers %s, which is not Wake's: build only Wake's parts there", name)
		}
	}
}

// functionMatcher is a matcher that selects a Function's revisions (or
// their Deployments) by name: revision=~"(${function})-[0-9]+".
var functionMatcher = regexp.MustCompile(`(?:revision|deployment)=~"([^"]*\$\{function\}[^"]*)"`)

// TestFunctionOfRevision: the function variable reads a Function's name
// from its revisions' names, and the queries select a Function's revisions,
// as package names makes them.
func TestFunctionOfRevision(t *testing.T) {
	d := loadDashboard(t)
	const fn, other = "hello-world", "hello"
	rev := names.Revision(fn, 3)
	i := slices.IndexFunc(d.Templating.List, func(v variable) bool { return v.Name == "function" })
	if i < 0 {
		t.Fatal("no variable function")
	}
	re, err := regexp.Compile(strings.TrimSuffix(strings.TrimPrefix(d.Templating.List[i].Regex, "/"), "/"))
	if err != nil {
		t.Fatal(err)
	}
	if m := re.FindStringSubmatch(rev); len(m) < 2 || m[1] != fn {
		t.Errorf("the function variable's regex %s reads %q from %q, want %q", re, m, rev, fn)
	}
	if re.MatchString(fn) {
		t.Errorf("the function variable's regex %s matches %q, which is no revision's name", re, fn)
	}
	var queries []string
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			queries = append(queries, tg.Expr)
		}
	}
	for _, v := range d.Templating.List {
		q, _ := v.queryText()
		queries = append(queries, q)
	}
	n := 0
	for _, q := range queries {
		for _, m := range functionMatcher.FindAllStringSubmatch(q, -1) {
			n++
			// Prometheus anchors a regular expression matcher at both ends;
			// Grafana puts a variable's values in one, escaped.
			matches := func(f string) bool {
				return regexp.MustCompile("^(?:" + strings.ReplaceAll(m[1], "${function}", regexp.QuoteMeta(f)) + ")$").MatchString(rev)
			}
			if !matches(fn) || matches(other) {
				t.Errorf("%s: with function %q it matches %q: %v, with %q: %v", m[0], fn, rev, matches(fn), other, matches(other))
			}
		}
	}
	if n == 0 {
		t.Error("no query selects revisions by ${function}")
	}
}
