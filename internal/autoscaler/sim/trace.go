package sim

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
)

// Trace is the offered concurrency, one value per second.
type Trace []float64

// ParseTrace reads a trace in the testdata format: one segment per line,
// "seconds,concurrency", meaning that concurrency holds for that many
// seconds. Blank lines and lines starting with '#' are skipped.
//
//	# idle, then a burst
//	30,0
//	60,100
func ParseTrace(r io.Reader) (Trace, error) {
	var t Trace
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		secs, conc, ok := strings.Cut(text, ",")
		if !ok {
			return nil, fmt.Errorf("trace line %d: want seconds,concurrency, got %q", line, text)
		}
		n, err := strconv.Atoi(strings.TrimSpace(secs))
		if err != nil || n < 0 {
			return nil, fmt.Errorf("trace line %d: bad seconds %q", line, secs)
		}
		c, err := strconv.ParseFloat(strings.TrimSpace(conc), 64)
		if err != nil || c < 0 || math.IsInf(c, 0) || math.IsNaN(c) {
			return nil, fmt.Errorf("trace line %d: bad concurrency %q", line, conc)
		}
		for range n {
			t = append(t, c)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read trace: %w", err)
	}
	return t, nil
}

// LoadTrace reads a trace file (see ParseTrace).
func LoadTrace(path string) (Trace, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("open trace: %w", err)
	}
	defer func() { _ = f.Close() }() // read-only: nothing to lose on close
	t, err := ParseTrace(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return t, nil
}
