package sink

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/wakefn/wake/internal/metering"
)

// JSONLinesName is the name of a sink that OpenJSONLines returns.
const JSONLinesName = "jsonlines"

// JSONLines is a Sink that writes each event as one line of JSON (JSON
// Lines) to a writer: a file, stdout for a log collector, or a pipe.
//
// It writes a whole batch with one Write call, so that a writer that fails
// leaves none of it or, when it wrote only part, a prefix of it, whose
// events are written again on the retry (readers deduplicate on id). If a
// failed Write may have cut a line, the next batch starts on a new line, so
// that only that cut line is unreadable: readers should skip a line that
// does not parse.
type JSONLines struct {
	name  string
	mu    sync.Mutex
	w     io.Writer
	sync  func() error // makes a write durable; nil: nothing to do
	close func() error // nil: nothing to close
	cut   bool         // the last Write failed and may have cut a line
}

// NewJSONLines returns a JSONLines sink named name that writes to w.
func NewJSONLines(name string, w io.Writer) *JSONLines {
	return &JSONLines{name: name, w: w}
}

// OpenJSONLines returns a JSONLines sink named JSONLinesName that appends
// to the file at path, created with mode 0600 if missing, and syncs it to
// disk after every batch; path "-" or "stdout" means standard output,
// which is neither synced nor closed.
func OpenJSONLines(path string) (*JSONLines, error) {
	if path == "-" || path == "stdout" {
		return NewJSONLines(JSONLinesName, os.Stdout), nil
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open metering file: %w", err)
	}
	j := NewJSONLines(JSONLinesName, f)
	j.sync, j.close = f.Sync, f.Close
	return j, nil
}

// Name returns the sink's name.
func (j *JSONLines) Name() string { return j.name }

// Send writes batch, one event per line, with one Write call.
func (j *JSONLines) Send(ctx context.Context, batch []metering.Event) error {
	if len(batch) == 0 {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	buf, err := encodeLines(batch)
	if err != nil {
		return Permanent(err)
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cut {
		buf = append([]byte{'\n'}, buf...)
	}
	n, err := j.w.Write(buf)
	n = max(0, min(n, len(buf))) // a writer that misreports must not panic Send
	if err == nil && n < len(buf) {
		err = io.ErrShortWrite
	}
	if err != nil {
		if n > 0 {
			j.cut = buf[n-1] != '\n'
		}
		return fmt.Errorf("write %d metering events: %w", len(batch), err)
	}
	j.cut = false
	if j.sync != nil {
		if err := j.sync(); err != nil {
			return fmt.Errorf("sync metering file: %w", err)
		}
	}
	return nil
}

// Close closes the file OpenJSONLines opened; it does nothing for a writer
// given to NewJSONLines or for stdout.
func (j *JSONLines) Close() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.close == nil {
		return nil
	}
	c := j.close
	j.close, j.sync = nil, nil
	return c()
}

// encodeLines returns batch as JSON Lines.
func encodeLines(batch []metering.Event) ([]byte, error) {
	buf := make([]byte, 0, 512*len(batch)) // an event is about 500 bytes of JSON
	for i := range batch {
		b, err := json.Marshal(&batch[i])
		if err != nil {
			return nil, fmt.Errorf("encode metering event %s: %w", batch[i].ID, err)
		}
		buf = append(append(buf, b...), '\n')
	}
	return buf, nil
}
