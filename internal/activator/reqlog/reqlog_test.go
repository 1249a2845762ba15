package reqlog

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/wakefn/wake/internal/statwire"
)

func TestHeadersAreRedacted(t *testing.T) {
	p := NewPolicy(Config{SamplePercent: 100, Headers: []string{"x-request-id", "Authorization", "X-Api-Key", "X-Secret", "X-Absent"}, Redact: []string{"x-api-key", "X-Secret"}})
	h := http.Header{"X-Request-Id": {"r1"}, "Authorization": {"Bearer s3cret"}, "X-Api-Key": {"k"}, "X-Secret": {"v"}, "X-Other": {"o"}}
	got := p.Headers(h)
	want := map[string]string{"X-Request-Id": "r1", "Authorization": Redacted, "X-Api-Key": Redacted, "X-Secret": Redacted}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("Headers = %v, want %v", got, want)
	}
	if got := NewPolicy(Config{}).Headers(h); got != nil {
		t.Errorf("no headers asked: %v", got)
	}
}

func TestSampled(t *testing.T) {
	for _, tc := range []struct {
		percent  int
		min, max int // of 10,000 draws
	}{{100, 10000, 10000}, {10, 700, 1300}, {1, 30, 200}} {
		n := 0
		p := NewPolicy(Config{SamplePercent: tc.percent})
		for range 10000 {
			if p.Sampled() {
				n++
			}
		}
		if n < tc.min || n > tc.max {
			t.Errorf("%d%%: %d of 10,000 sampled, want %d to %d", tc.percent, n, tc.min, tc.max)
		}
	}
}

func TestBufferIsBoundedAndNeverBlocks(t *testing.T) {
	b := NewBuffer(3)
	for i := range 5 {
		b.Add("ns", Line{Route: "api", Status: 200 + i})
	}
	b.Add("ns", Line{Route: "api", Path: strings.Repeat("x", MaxLineBytes)})
	if n := b.Dropped(); n != 3 {
		t.Fatalf("dropped %d, want 2 over the cap and 1 too long", n)
	}
	lines := b.Take()
	if len(lines) != 3 || lines[0].Namespace != "ns" || lines[0].Route != "api" {
		t.Fatalf("took %+v", lines)
	}
	var l Line
	if err := json.Unmarshal([]byte(lines[2].Line), &l); err != nil || l.Status != 202 {
		t.Fatalf("third line %q: %v, want status 202", lines[2].Line, err)
	}
	if more := b.Take(); more != nil {
		t.Fatalf("took again: %+v", more)
	}
}

func TestTakeIsBoundedPerFrame(t *testing.T) {
	b := NewBuffer(statwire.MaxLogLines * 3)
	for range statwire.MaxLogLines + 10 {
		b.Add("ns", Line{Route: "api"})
	}
	if n := len(b.Take()); n != statwire.MaxLogLines {
		t.Fatalf("a frame of %d lines, want %d", n, statwire.MaxLogLines)
	}
	if n := len(b.Take()); n != 10 {
		t.Fatalf("the next frame: %d lines, want 10", n)
	}
}
