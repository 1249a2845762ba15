// Package promtext reads the samples a benchmark needs from a Prometheus
// text exposition (a /metrics page), keeping only the metric names asked
// for so that a page of several megabytes costs little memory.
package promtext

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// maxLine bounds one line of the page.
const maxLine = 1 << 20

// Sample is one sample line: a metric name, its labels and its value.
type Sample struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// Parse reads the page from r and returns, in order, the samples whose
// name keep accepts. Comment lines and samples of other names are skipped
// unread; a malformed kept sample or a line longer than 1 MiB is an error.
func Parse(r io.Reader, keep func(name string) bool) ([]Sample, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxLine)
	var out []Sample
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		end := strings.IndexAny(line, "{ \t")
		if end <= 0 {
			return nil, fmt.Errorf("line %d: no value", n)
		}
		if !keep(line[:end]) {
			continue
		}
		s, err := parseSample(line, end)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read metrics: %w", err)
	}
	return out, nil
}

// parseSample parses line, whose metric name ends at end.
func parseSample(line string, end int) (Sample, error) {
	s := Sample{Name: line[:end], Labels: map[string]string{}}
	rest := line[end:]
	if rest[0] == '{' {
		var err error
		if rest, err = parseLabels(rest[1:], s.Labels); err != nil {
			return Sample{}, err
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 || len(fields) > 2 {
		return Sample{}, fmt.Errorf("%s: want a value and an optional timestamp, got %q", s.Name, rest)
	}
	v, err := strconv.ParseFloat(fields[0], 64)
	if err != nil {
		return Sample{}, fmt.Errorf("%s: value: %w", s.Name, err)
	}
	s.Value = v
	return s, nil
}

// parseLabels reads `name="value",...}` from in into labels and returns
// what follows the closing brace.
func parseLabels(in string, labels map[string]string) (string, error) {
	for {
		in = strings.TrimLeft(in, " \t,")
		if in == "" {
			return "", errors.New("labels not closed")
		}
		if in[0] == '}' {
			return in[1:], nil
		}
		eq := strings.IndexByte(in, '=')
		if eq <= 0 {
			return "", fmt.Errorf("label without value in %q", in)
		}
		name := strings.TrimSpace(in[:eq])
		in = strings.TrimLeft(in[eq+1:], " \t")
		if in == "" || in[0] != '"' {
			return "", fmt.Errorf("label %s: value not quoted", name)
		}
		value, rest, err := unquote(in[1:])
		if err != nil {
			return "", fmt.Errorf("label %s: %w", name, err)
		}
		labels[name] = value
		in = rest
	}
}

// unquote reads a label value up to its closing quote, undoing the
// format's three escapes (\\, \" and \n), and returns what follows.
func unquote(in string) (string, string, error) {
	var b strings.Builder
	for i := 0; i < len(in); i++ {
		switch c := in[i]; c {
		case '"':
			return b.String(), in[i+1:], nil
		case '\\':
			i++
			if i == len(in) {
				return "", "", errors.New("value not closed")
			}
			switch in[i] {
			case 'n':
				b.WriteByte('\n')
			case '\\', '"':
				b.WriteByte(in[i])
			default:
				return "", "", fmt.Errorf("unknown escape \\%c", in[i])
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", "", errors.New("value not closed")
}

// Names returns a keep function for Parse that accepts exactly names.
func Names(names ...string) func(string) bool {
	set := make(map[string]bool, len(names))
	for _, n := range names {
		set[n] = true
	}
	return func(n string) bool { return set[n] }
}

// Sum adds the values of the samples named name whose labels include every
// pair of match (nil matches all), and says whether any matched.
func Sum(samples []Sample, name string, match map[string]string) (float64, bool) {
	var sum float64
	found := false
	for _, s := range samples {
		if s.Name != name || !hasLabels(s, match) {
			continue
		}
		sum += s.Value
		found = true
	}
	return sum, found
}

// By adds the values of the samples named name per value of label.
func By(samples []Sample, name, label string) map[string]float64 {
	out := map[string]float64{}
	for _, s := range samples {
		if s.Name == name {
			out[s.Labels[label]] += s.Value
		}
	}
	return out
}

func hasLabels(s Sample, match map[string]string) bool {
	for k, v := range match {
		if s.Labels[k] != v {
			return false
		}
	}
	return true
}
