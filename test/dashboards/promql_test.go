package dashboards

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/promql/parser"
)

// promql parses the dashboard's queries.
var promql = parser.NewParser(parser.Options{})

// rangeFuncs are the functions that turn a counter's samples into a rate
// or an increase; a counter (and a histogram's _bucket, _sum and _count)
// is read only through one of them, a gauge never.
var rangeFuncs = []string{"rate", "irate", "increase"}

// labelSet is the label names every series of an expression's result has.
type labelSet map[string]bool

func setOf(names ...string) labelSet {
	s := labelSet{}
	for _, n := range names {
		s[n] = true
	}
	return s
}

func (s labelSet) String() string { return "{" + strings.Join(slices.Sorted(maps.Keys(s)), ",") + "}" }

// checker checks PromQL against the metrics it knows.
type checker struct {
	known map[string]family
	errs  []string
	// used are the metrics queried (a histogram's own name for its series).
	used map[string]bool
}

func (c *checker) errorf(format string, args ...any) {
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

// scope is where in a query an expression sits.
type scope struct {
	// rangeFunc is the function whose range-vector argument this is ("" if
	// none): rate in rate(x[5m]).
	rangeFunc string
	// quantile is set under histogram_quantile.
	quantile bool
	// labelsOnly is set where only the series' labels are read (a
	// variable's label_values): no type rule applies.
	labelsOnly bool
}

// query checks expr, a whole query, and returns the label names of its
// result.
func (c *checker) query(expr string) labelSet {
	e, err := promql.ParseExpr(expr)
	if err != nil {
		c.errorf("parse %q: %v", expr, err)
		return nil
	}
	return c.expr(e, scope{})
}

// expr checks e and returns the label names of its result (none for a
// scalar or a string).
func (c *checker) expr(e parser.Expr, sc scope) labelSet {
	switch n := e.(type) {
	case *parser.VectorSelector:
		return c.selector(n, sc)
	case *parser.MatrixSelector:
		return c.expr(n.VectorSelector, sc)
	case *parser.SubqueryExpr:
		return c.expr(n.Expr, scope{quantile: sc.quantile})
	case *parser.ParenExpr:
		return c.expr(n.Expr, sc)
	case *parser.UnaryExpr:
		return c.expr(n.Expr, sc)
	case *parser.StepInvariantExpr:
		return c.expr(n.Expr, sc)
	case *parser.Call:
		return c.call(n, sc)
	case *parser.AggregateExpr:
		return c.aggregate(n, sc)
	case *parser.BinaryExpr:
		return c.binary(n, sc)
	case *parser.NumberLiteral, *parser.StringLiteral:
		return labelSet{}
	default:
		c.errorf("%s: a %T, which this test does not know", e, e)
		return labelSet{}
	}
}

// resolve returns the family of the series named name: a metric's own, or
// a histogram's (summary's) through its _bucket, _sum or _count series.
func (c *checker) resolve(name string) (f family, suffix string, ok bool) {
	if f, ok := c.known[name]; ok {
		return f, "", true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, cut := strings.CutSuffix(name, suffix)
		if !cut {
			continue
		}
		f, ok := c.known[base]
		if ok && (f.Type == "histogram" || f.Type == "summary" && suffix != "_bucket") {
			return f, suffix, true
		}
	}
	return family{}, "", false
}

// selector checks a metric's selector: the metric exists, has the labels
// matched, and is read as its type allows.
func (c *checker) selector(vs *parser.VectorSelector, sc scope) labelSet {
	name := vs.Name
	for _, m := range vs.LabelMatchers {
		if m.Name == model.MetricNameLabel && m.Type == labels.MatchEqual {
			name = m.Value
		}
	}
	if name == "" {
		c.errorf("%s: a selector without a metric name", vs)
		return labelSet{}
	}
	f, suffix, ok := c.resolve(name)
	if !ok {
		c.errorf("%s: no such metric in Wake's registries", name)
		return labelSet{}
	}
	if c.used == nil {
		c.used = map[string]bool{}
	}
	c.used[strings.TrimSuffix(name, suffix)] = true
	have := setOf(f.Labels...)
	switch {
	case suffix == "_bucket":
		have["le"] = true
	case suffix == "" && f.Type == "summary":
		have["quantile"] = true
	}
	for _, m := range vs.LabelMatchers {
		if m.Name != model.MetricNameLabel && !have[m.Name] {
			c.errorf("%s: matches label %q, which %s does not have (it has %s)", vs, m.Name, name, have)
		}
	}
	rate := slices.Contains(rangeFuncs, sc.rangeFunc)
	switch {
	case sc.labelsOnly:
	case f.Type == "histogram" && suffix == "":
		c.errorf("%s is a histogram: query %[1]s_bucket, _sum or _count", name)
	case suffix == "_bucket" && !sc.quantile:
		c.errorf("%s: buckets are read through histogram_quantile", name)
	case (f.Type == "counter" || suffix != "") && !rate:
		c.errorf("%s is a counter: read it through one of %v, not %q", name, rangeFuncs, sc.rangeFunc)
	case f.Type == "gauge" && rate:
		c.errorf("%s is a gauge: %s does not apply", name, sc.rangeFunc)
	}
	return have
}

// call checks a function call's arguments and returns the labels of its
// result.
func (c *checker) call(n *parser.Call, sc scope) labelSet {
	args := make([]labelSet, len(n.Args))
	for i, a := range n.Args {
		inner := scope{quantile: sc.quantile || n.Func.Name == "histogram_quantile"}
		if _, ok := unparen(a).(*parser.MatrixSelector); ok {
			inner.rangeFunc = n.Func.Name
		} else if _, ok := unparen(a).(*parser.SubqueryExpr); ok {
			inner.rangeFunc = n.Func.Name
		}
		args[i] = c.expr(a, inner)
	}
	switch n.Func.Name {
	case "histogram_quantile":
		in := args[1]
		if !in["le"] {
			c.errorf("%s: its argument's result has no le label (%s): aggregate by (..., le)", n, in)
		}
		return without(in, "le")
	case "label_replace":
		in := args[0]
		if src := stringArg(n.Args[3]); !in[src] {
			c.errorf("%s: source label %q is not in %s", n, src, in)
		}
		return with(in, stringArg(n.Args[1]))
	case "label_join":
		in := args[0]
		for _, a := range n.Args[3:] {
			if src := stringArg(a); !in[src] {
				c.errorf("%s: source label %q is not in %s", n, src, in)
			}
		}
		return with(in, stringArg(n.Args[1]))
	}
	for i, a := range n.Args {
		if t := a.Type(); t == parser.ValueTypeVector || t == parser.ValueTypeMatrix {
			return without(args[i], model.MetricNameLabel)
		}
	}
	return labelSet{}
}

// aggregate checks an aggregation's grouping and returns the labels of its
// result.
func (c *checker) aggregate(n *parser.AggregateExpr, sc scope) labelSet {
	in := c.expr(n.Expr, scope{quantile: sc.quantile})
	if n.Param != nil {
		c.expr(n.Param, scope{quantile: sc.quantile})
	}
	if !n.Without {
		for _, g := range n.Grouping {
			if !in[g] {
				c.errorf("%s: groups by %q, which its input %s does not have", n, g, in)
			}
		}
	}
	switch n.Op {
	case parser.TOPK, parser.BOTTOMK, parser.LIMITK, parser.LIMIT_RATIO:
		return in
	}
	var out labelSet
	if n.Without {
		out = without(in, n.Grouping...)
	} else {
		out = setOf(n.Grouping...)
	}
	if n.Op == parser.COUNT_VALUES {
		out[stringArg(n.Param)] = true
	}
	return out
}

// binary checks a binary operation's vector matching and returns the labels
// of its result.
func (c *checker) binary(n *parser.BinaryExpr, sc scope) labelSet {
	inner := scope{quantile: sc.quantile}
	l, r := c.expr(n.LHS, inner), c.expr(n.RHS, inner)
	lv, rv := n.LHS.Type() == parser.ValueTypeVector, n.RHS.Type() == parser.ValueTypeVector
	switch {
	case !lv && !rv:
		return labelSet{}
	case !lv:
		return r
	case !rv:
		return l
	}
	vm := n.VectorMatching
	if vm == nil {
		vm = &parser.VectorMatching{}
	}
	if vm.On {
		for _, m := range vm.MatchingLabels {
			if !l[m] || !r[m] {
				c.errorf("%s: matches on %q, which %s or %s lacks", n, m, l, r)
			}
		}
	}
	if n.Op == parser.LOR {
		return intersect(l, r)
	}
	out, other := l, r
	if vm.Card == parser.CardOneToMany {
		out, other = r, l
	}
	for _, inc := range vm.Include {
		if !other[inc] {
			c.errorf("%s: group_left/right(%q), which %s lacks", n, inc, other)
		}
	}
	return with(out, vm.Include...)
}

// unparen strips parentheses.
func unparen(e parser.Expr) parser.Expr {
	for {
		p, ok := e.(*parser.ParenExpr)
		if !ok {
			return e
		}
		e = p.Expr
	}
}

// stringArg is the value of a string literal argument ("" otherwise).
func stringArg(e parser.Expr) string {
	if s, ok := unparen(e).(*parser.StringLiteral); ok {
		return s.Val
	}
	return ""
}

func with(s labelSet, names ...string) labelSet {
	out := labelSet{}
	maps.Copy(out, s)
	for _, n := range names {
		out[n] = true
	}
	return out
}

func without(s labelSet, names ...string) labelSet {
	out := labelSet{}
	maps.Copy(out, s)
	for _, n := range names {
		delete(out, n)
	}
	return out
}

func intersect(a, b labelSet) labelSet {
	out := labelSet{}
	for n := range a {
		if b[n] {
			out[n] = true
		}
	}
	return out
}

// variableQuery checks a template variable's query, in Grafana's
// Prometheus syntax: label_values(selector, label) or query_result(query).
func (c *checker) variableQuery(q string) {
	if inner, ok := cutCall(q, "query_result"); ok {
		c.query(inner)
		return
	}
	inner, ok := cutCall(q, "label_values")
	if !ok {
		c.errorf("variable query %q: only label_values(selector, label) and query_result(query) are checked", q)
		return
	}
	i := strings.LastIndexByte(inner, ',')
	if i < 0 {
		c.errorf("variable query %q: label_values without a selector is not bound to a metric", q)
		return
	}
	sel, label := strings.TrimSpace(inner[:i]), strings.TrimSpace(inner[i+1:])
	if _, err := promql.ParseMetricSelector(sel); err != nil {
		c.errorf("variable query %q: %v", q, err)
		return
	}
	e, err := promql.ParseExpr(sel)
	if err != nil {
		c.errorf("variable query %q: %v", q, err)
		return
	}
	vs, ok := e.(*parser.VectorSelector)
	if !ok {
		c.errorf("variable query %q: %s is not a selector", q, sel)
		return
	}
	before := len(c.errs)
	have := c.selector(vs, scope{labelsOnly: true})
	if len(c.errs) == before && !have[label] {
		c.errorf("variable query %q: %s has no label %q (it has %s)", q, sel, label, have)
	}
}

// cutCall returns the argument text of q if q is a call of fn.
func cutCall(q, fn string) (string, bool) {
	q = strings.TrimSpace(q)
	rest, ok := strings.CutPrefix(q, fn+"(")
	if !ok || !strings.HasSuffix(rest, ")") {
		return "", false
	}
	return strings.TrimSuffix(rest, ")"), true
}

// legendLabels are the labels a legend format shows: {{namespace}}.
var legendLabels = regexp.MustCompile(`\{\{\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*\}\}`)

// target checks a panel's query and that its legend shows only labels its
// result has.
func (c *checker) target(expr, legend string) {
	before := len(c.errs)
	out := c.query(expr)
	if len(c.errs) > before {
		return
	}
	for _, m := range legendLabels.FindAllStringSubmatch(legend, -1) {
		if !out[m[1]] {
			c.errorf("%s: the legend shows %q, which its result %s does not have", expr, m[1], out)
		}
	}
}
