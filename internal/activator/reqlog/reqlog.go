// Package reqlog writes the request log lines of the Route rules whose
// Route asks (policies.logs): a sample of their requests, one JSON object
// each, with credentials and chosen headers redacted. Lines wait in a
// bounded Buffer, never blocking a request (a full buffer drops the line
// and counts it), until the stats reporter sends them to the autoscalers,
// whose leader keeps each Route's latest lines in a ConfigMap of the
// Route's namespace for its owner to read.
package reqlog

import (
	"encoding/json"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/wakefn/wake/internal/statwire"
)

// Redacted replaces the value of a header that is never written.
const Redacted = "[redacted]"

// alwaysRedacted are the headers of credentials, redacted by every policy.
var alwaysRedacted = []string{"Authorization", "Proxy-Authorization", "Cookie"}

// Config is a rule's log policy, as package feed converts it.
type Config struct {
	// SamplePercent of the rule's requests are logged, 1 to 100.
	SamplePercent int
	// Headers are the request headers a line carries.
	Headers []string
	// Redact are headers written as Redacted: the policy's own and those
	// of the rule's credentials.
	Redact []string
}

// Policy is a compiled Config; immutable.
type Policy struct {
	percent int
	headers []string // canonical
	redact  []string // canonical
}

// NewPolicy compiles c.
func NewPolicy(c Config) *Policy {
	p := &Policy{percent: min(max(c.SamplePercent, 1), 100)}
	for _, h := range c.Headers {
		p.headers = append(p.headers, http.CanonicalHeaderKey(h))
	}
	for _, h := range append(slices.Clone(alwaysRedacted), c.Redact...) {
		p.redact = append(p.redact, http.CanonicalHeaderKey(h))
	}
	return p
}

// Sampled draws whether one request is logged.
func (p *Policy) Sampled() bool { return p.percent >= 100 || rand.IntN(100) < p.percent }

// Line is one request's record.
type Line struct {
	Time        time.Time         `json:"ts"`
	Route       string            `json:"route"`
	Rule        int               `json:"rule"`
	Function    string            `json:"function,omitempty"`
	Revision    string            `json:"revision"`
	Client      string            `json:"client,omitempty"`
	Method      string            `json:"method"`
	Path        string            `json:"path"`
	Status      int               `json:"status"`
	Bytes       int64             `json:"bytes"`
	LatencyMs   float64           `json:"latencyMs"`
	QueueMs     float64           `json:"queueMs"`
	ColdStartMs float64           `json:"coldStartMs"`
	UpstreamMs  float64           `json:"upstreamMs"`
	Headers     map[string]string `json:"headers,omitempty"`
}

// Headers returns the values of the policy's headers in h, redacted where
// they must be.
func (p *Policy) Headers(h http.Header) map[string]string {
	var out map[string]string
	for _, name := range p.headers {
		v, ok := h[name]
		if !ok || len(v) == 0 {
			continue
		}
		if out == nil {
			out = make(map[string]string, len(p.headers))
		}
		if slices.Contains(p.redact, name) {
			out[name] = Redacted
		} else {
			out[name] = v[0]
		}
	}
	return out
}

// Millis converts d to milliseconds with microsecond precision.
func Millis(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// Defaults of a Buffer.
const (
	// DefaultMaxLines bounds the lines waiting to be sent.
	DefaultMaxLines = 4096
	// MaxLineBytes bounds one line; a longer one is dropped.
	MaxLineBytes = 8 << 10
)

// Buffer holds the lines waiting to be sent. Add never blocks.
type Buffer struct {
	max     int
	mu      sync.Mutex
	lines   []statwire.LogLine
	dropped atomic.Uint64
}

// NewBuffer returns a Buffer of at most maxLines lines (<= 0:
// DefaultMaxLines).
func NewBuffer(maxLines int) *Buffer {
	if maxLines <= 0 {
		maxLines = DefaultMaxLines
	}
	return &Buffer{max: maxLines}
}

// Add encodes l as a line of Route ns/l.Route, or drops it (and counts it)
// when the buffer is full or the line too long.
func (b *Buffer) Add(ns string, l Line) {
	enc, err := json.Marshal(l)
	if err != nil || len(enc) > MaxLineBytes {
		b.dropped.Add(1)
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.lines) >= b.max {
		b.dropped.Add(1)
		return
	}
	b.lines = append(b.lines, statwire.LogLine{Namespace: ns, Route: l.Route, Line: string(enc)})
}

// Take removes and returns the oldest lines, at most statwire.MaxLogLines
// and statwire.MaxLogBytes of them.
func (b *Buffer) Take() []statwire.LogLine {
	b.mu.Lock()
	defer b.mu.Unlock()
	n, size := 0, 0
	for n < len(b.lines) && n < statwire.MaxLogLines && size+len(b.lines[n].Line) <= statwire.MaxLogBytes {
		size += len(b.lines[n].Line)
		n++
	}
	if n == 0 {
		return nil
	}
	out := slices.Clone(b.lines[:n])
	b.lines = slices.Delete(b.lines, 0, n)
	return out
}

// Dropped returns the lines dropped.
func (b *Buffer) Dropped() uint64 { return b.dropped.Load() }
