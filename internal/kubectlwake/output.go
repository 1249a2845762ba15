package kubectlwake

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"k8s.io/apimachinery/pkg/util/duration"
	"knative.dev/pkg/apis"
	duckv1 "knative.dev/pkg/apis/duck/v1"
	"sigs.k8s.io/yaml"
)

// Output formats of -o; text is the default, for people.
const (
	formatText = ""
	formatJSON = "json"
	formatYAML = "yaml"
)

// addOutputFlag adds -o json|yaml to cmd, into format.
func addOutputFlag(cmd *cobra.Command, format *string) {
	cmd.PersistentFlags().StringVarP(format, "output", "o", formatText, "Output format: json or yaml (the text for people when unset)")
}

// checkFormat refuses a format -o does not know.
func checkFormat(format string) error {
	switch format {
	case formatText, formatJSON, formatYAML:
		return nil
	}
	return fmt.Errorf("unknown output format %q: use json or yaml, or leave -o out", format)
}

// printData writes v as JSON or YAML, as format says.
func printData(w io.Writer, format string, v any) error {
	var b []byte
	var err error
	if format == formatJSON {
		b, err = json.MarshalIndent(v, "", "    ")
		b = append(b, '\n')
	} else {
		b, err = yaml.Marshal(v)
	}
	if err != nil {
		return fmt.Errorf("encode %s: %w", format, err)
	}
	_, err = w.Write(b)
	return err
}

// printer writes text for people and keeps the first error, which the
// command returns once it printed all.
type printer struct {
	w   io.Writer
	err error
}

// Write writes b unless an earlier write failed.
func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.w.Write(b)
	p.err = err
	return n, err
}

// printf writes as fmt.Printf does; p keeps the error.
func (p *printer) printf(format string, a ...any) { _, _ = fmt.Fprintf(p, format, a...) }

// println writes as fmt.Println does; p keeps the error.
func (p *printer) println(a ...any) { _, _ = fmt.Fprintln(p, a...) }

// table writes aligned columns, as kubectl get does.
type table struct{ w *tabwriter.Writer }

// newTable starts a table with the given column headers, spaced as kubectl
// spaces its tables.
func newTable(p *printer, headers ...string) *table {
	t := &table{w: tabwriter.NewWriter(p, 6, 4, 3, ' ', 0)}
	t.row(headers...)
	return t
}

// row writes one row; empty cells are shown as "-" except the last.
func (t *table) row(cells ...string) {
	for i, c := range cells {
		if c == "" && i < len(cells)-1 {
			cells[i] = "-"
		}
	}
	_, _ = fmt.Fprintln(t.w, strings.Join(cells, "\t"))
}

// flush writes the table out; its printer keeps the error.
func (t *table) flush() { _ = t.w.Flush() }

// age is how long ago t was, as kubectl shows ages; "-" when t is zero.
func age(now func() time.Time, t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return duration.HumanDuration(now().Sub(t))
}

// oneLine folds a condition message onto one line.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// sentence ends s with one full stop.
func sentence(s string) string {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") {
		return s
	}
	return s + "."
}

// conditionStatus is a condition's status, "Unknown" when it is absent.
func conditionStatus(c *apis.Condition) string {
	if c == nil {
		return "Unknown"
	}
	return string(c.Status)
}

// Condition is a condition as the commands print it.
type Condition struct {
	Type               string    `json:"type"`
	Status             string    `json:"status"`
	Severity           string    `json:"severity,omitempty"`
	Reason             string    `json:"reason,omitempty"`
	Message            string    `json:"message,omitempty"`
	LastTransitionTime time.Time `json:"lastTransitionTime,omitzero"`
}

// conditionsOf lists cs, Ready first, then by type (duckv1 keeps them
// sorted by type).
func conditionsOf(cs duckv1.Conditions) []Condition {
	out := make([]Condition, 0, len(cs))
	for _, c := range cs {
		row := Condition{
			Type: string(c.Type), Status: string(c.Status), Severity: string(c.Severity),
			Reason: c.Reason, Message: oneLine(c.Message), LastTransitionTime: c.LastTransitionTime.Inner.Time,
		}
		if c.Type == apis.ConditionReady {
			out = append([]Condition{row}, out...)
		} else {
			out = append(out, row)
		}
	}
	return out
}

// printConditions writes cs as a table: type, status, reason, since when,
// message.
func printConditions(p *printer, now func() time.Time, cs []Condition) {
	if len(cs) == 0 {
		p.println("none reported yet")
		return
	}
	t := newTable(p, "TYPE", "STATUS", "REASON", "SINCE", "MESSAGE")
	for _, c := range cs {
		status := c.Status
		if c.Severity != "" && c.Status != "True" {
			status += " (" + c.Severity + ")"
		}
		t.row(c.Type, status, c.Reason, age(now, c.LastTransitionTime), c.Message)
	}
	t.flush()
}
