package sink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/wakefn/wake/internal/metering"
)

// decodeLines decodes each line of b as an event; a line that does not
// parse is returned in bad.
func decodeLines(t *testing.T, b []byte) (evs []metering.Event, bad []string) {
	t.Helper()
	for line := range strings.Lines(string(b)) {
		var ev metering.Event
		if err := json.Unmarshal([]byte(line), &ev); err != nil {
			bad = append(bad, line)
			continue
		}
		evs = append(evs, ev)
	}
	return evs, bad
}

// countingWriter counts the Write calls to a buffer.
type countingWriter struct {
	bytes.Buffer
	writes int
}

func (w *countingWriter) Write(p []byte) (int, error) {
	w.writes++
	return w.Buffer.Write(p)
}

func TestJSONLinesWritesOneLinePerEvent(t *testing.T) {
	var w countingWriter
	j := NewJSONLines("audit", &w)
	evs := testEvents(5)
	for _, batch := range [][]metering.Event{evs[:3], nil, evs[3:]} {
		if err := j.Send(context.Background(), batch); err != nil {
			t.Fatalf("Send: %v", err)
		}
	}
	got, bad := decodeLines(t, w.Bytes())
	if len(bad) > 0 {
		t.Fatalf("lines that do not parse: %q", bad)
	}
	if d := cmp.Diff(evs, got); d != "" {
		t.Errorf("lines (-sent +written):\n%s", d)
	}
	if w.writes != 2 {
		t.Errorf("%d Write calls for 2 batches, want 2", w.writes)
	}
	if j.Name() != "audit" {
		t.Errorf("Name = %q", j.Name())
	}
}

// failingWriter writes the first n bytes of its first Write and fails it;
// later Writes succeed.
type failingWriter struct {
	bytes.Buffer
	n      int
	failed bool
}

func (w *failingWriter) Write(p []byte) (int, error) {
	if !w.failed {
		w.failed = true
		_, _ = w.Buffer.Write(p[:w.n])
		return w.n, errors.New("disk full")
	}
	return w.Buffer.Write(p)
}

// TestJSONLinesAfterAFailedWrite: a batch retried after a failed Write is
// written whole, starting on a new line if the failure cut one.
func TestJSONLinesAfterAFailedWrite(t *testing.T) {
	evs := testEvents(2)
	first, err := json.Marshal(&evs[0])
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		written int // by the failed Write
		want    []metering.Event
		wantBad int // lines that do not parse
	}{
		{name: "nothing written", written: 0, want: evs},
		{name: "a line cut", written: 10, want: evs, wantBad: 1},
		{name: "whole lines written", written: len(first) + 1, want: append(evs[:1:1], evs...)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			w := &failingWriter{n: tc.written}
			j := NewJSONLines("file", w)
			if err := j.Send(context.Background(), evs); err == nil || IsPermanent(err) {
				t.Fatalf("first Send: %v, want a retryable error", err)
			}
			if err := j.Send(context.Background(), evs); err != nil {
				t.Fatalf("retried Send: %v", err)
			}
			got, bad := decodeLines(t, w.Bytes())
			if len(bad) != tc.wantBad {
				t.Errorf("%d lines do not parse (%q), want %d", len(bad), bad, tc.wantBad)
			}
			if d := cmp.Diff(tc.want, got); d != "" {
				t.Errorf("events read back (-want +got):\n%s", d)
			}
		})
	}
}

func TestJSONLinesHonoursContext(t *testing.T) {
	var w bytes.Buffer
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := NewJSONLines("x", &w).Send(ctx, testEvents(1)); !errors.Is(err, context.Canceled) {
		t.Errorf("Send with an ended context: %v, want context.Canceled", err)
	}
	if w.Len() != 0 {
		t.Errorf("wrote %q", w.String())
	}
}

// TestOpenJSONLinesAppends: a second open appends, and the file is
// readable by its owner only.
func TestOpenJSONLinesAppends(t *testing.T) {
	path := filepath.Join(t.TempDir(), "usage.jsonl")
	evs := testEvents(3)
	for _, batch := range [][]metering.Event{evs[:2], evs[2:]} {
		j, err := OpenJSONLines(path)
		if err != nil {
			t.Fatalf("OpenJSONLines: %v", err)
		}
		if err := j.Send(context.Background(), batch); err != nil {
			t.Fatalf("Send: %v", err)
		}
		if err := j.Close(); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if err := j.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got, bad := decodeLines(t, b)
	if len(bad) > 0 {
		t.Fatalf("lines that do not parse: %q", bad)
	}
	if d := cmp.Diff(evs, got); d != "" {
		t.Errorf("file (-sent +read):\n%s", d)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %v, want 0600", perm)
	}
}

func TestOpenJSONLinesStdout(t *testing.T) {
	for _, path := range []string{"-", "stdout"} {
		j, err := OpenJSONLines(path)
		if err != nil {
			t.Fatalf("OpenJSONLines(%q): %v", path, err)
		}
		if j.w != os.Stdout || j.Name() != JSONLinesName {
			t.Errorf("OpenJSONLines(%q) writes to %v named %q, want stdout named %q", path, j.w, j.Name(), JSONLinesName)
		}
		if err := j.Close(); err != nil {
			t.Errorf("Close of stdout: %v", err)
		}
	}
	if _, err := OpenJSONLines(filepath.Join(t.TempDir(), "missing", "usage.jsonl")); err == nil {
		t.Error("OpenJSONLines in a missing directory: nil error")
	}
}
