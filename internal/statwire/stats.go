package statwire

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"time"
)

// Period is how often an activator reports.
const Period = time.Second

// MaxFrameBytes bounds one frame, newline included.
const MaxFrameBytes = 1 << 20

// MaxAuthBytes bounds an auth line, newline included: what a receiver
// reads from a peer it has not authenticated yet. Projected ServiceAccount
// tokens are 1 to 2 KiB.
const MaxAuthBytes = 16 << 10

// Audience is the audience of the ServiceAccount tokens that activators
// present on the stat channel: the activator's projected token is issued
// for it, and the autoscaler asks the TokenReview API to check it.
const Audience = "wake-autoscaler"

// ErrFrameTooLong is returned by Reader.Next for a line over the reader's
// limit (MaxFrameBytes unless SetLimit lowered it); the stream cannot be
// resynchronised after it.
var ErrFrameTooLong = errors.New("stats: frame longer than the limit")

// Stat is one activator's measurement of one revision over one period.
type Stat struct {
	// Namespace of the Revision.
	Namespace string `json:"ns"`
	// Revision is the Revision's name.
	Revision string `json:"rev"`
	// AverageConcurrency is the time-weighted average number of requests in
	// flight (queued or proxied) during the period.
	AverageConcurrency float64 `json:"c"`
	// RequestCount is the number of requests that arrived during the period.
	RequestCount float64 `json:"n"`
	// Poke asks for an immediate decision: a request arrived while the
	// revision had no ready pod.
	Poke bool `json:"poke,omitempty"`
}

// Valid reports whether the stat names a revision and carries finite,
// non-negative numbers.
func (s Stat) Valid() bool {
	ok := func(f float64) bool { return f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) }
	return s.Namespace != "" && s.Revision != "" && ok(s.AverageConcurrency) && ok(s.RequestCount)
}

// Frame is what one line on the wire holds.
type Frame struct {
	// Source is the reporting activator's pod name.
	Source string `json:"src"`
	// Timestamp is when the frame was written, in Unix milliseconds.
	Timestamp int64 `json:"ts"`
	// Stats holds one entry per revision.
	Stats []Stat `json:"stats"`
	// Usage is the sender's counts of Route rules' requests; periodic
	// frames only.
	Usage *Usage `json:"usage,omitempty"`
	// Logs are request log lines of Routes that ask for them; periodic
	// frames only.
	Logs []LogLine `json:"logs,omitempty"`
	// Metering, if set, is what the activator metered (Metering).
	Metering *Metering `json:"meter,omitempty"`
	// Token, when set, makes the line an auth line: it carries the sender's
	// ServiceAccount token and nothing else (a receiver ignores the other
	// fields of an auth line).
	Token string `json:"token,omitempty"`
}

// IsAuth reports whether f is an auth line.
func (f Frame) IsAuth() bool { return f.Token != "" }

// WriteAuth writes an auth line carrying token on w.
func WriteAuth(w io.Writer, token string) error {
	if token == "" {
		return errors.New("stats: empty token")
	}
	b, err := json.Marshal(struct {
		Token string `json:"token"`
	}{token})
	if err != nil {
		return fmt.Errorf("encode auth line: %w", err)
	}
	if len(b)+1 > MaxAuthBytes {
		return fmt.Errorf("stats: token of %d bytes does not fit an auth line of at most %d", len(token), MaxAuthBytes)
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// Write encodes f as one frame on w.
func Write(w io.Writer, f Frame) error {
	b, err := json.Marshal(f)
	if err != nil {
		return fmt.Errorf("encode stats frame: %w", err)
	}
	if len(b)+1 > MaxFrameBytes {
		return ErrFrameTooLong
	}
	b = append(b, '\n')
	_, err = w.Write(b)
	return err
}

// Reader decodes frames from a stream.
type Reader struct {
	r     *bufio.Reader
	limit int
}

// NewReader returns a Reader on r that accepts lines of up to
// MaxFrameBytes.
func NewReader(r io.Reader) *Reader {
	return &Reader{r: bufio.NewReaderSize(r, 64<<10), limit: MaxFrameBytes}
}

// SetLimit bounds the lines that later calls to Next accept, newline
// included; n <= 0 or over MaxFrameBytes means MaxFrameBytes. A receiver
// sets MaxAuthBytes until its peer has authenticated.
func (r *Reader) SetLimit(n int) {
	if n <= 0 || n > MaxFrameBytes {
		n = MaxFrameBytes
	}
	r.limit = n
}

// Next returns the next frame. A line that is not a valid frame yields a
// *SyntaxError, after which reading may go on; io.EOF and ErrFrameTooLong end
// the stream.
func (r *Reader) Next() (Frame, error) {
	var line []byte
	for {
		chunk, err := r.r.ReadSlice('\n')
		line = append(line, chunk...)
		if len(line) > r.limit {
			return Frame{}, ErrFrameTooLong
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if err != nil {
			if err == io.EOF && len(line) > 0 {
				return Frame{}, &SyntaxError{Err: io.ErrUnexpectedEOF}
			}
			return Frame{}, err
		}
		break
	}
	var f Frame
	if err := json.Unmarshal(line, &f); err != nil {
		return Frame{}, &SyntaxError{Err: err}
	}
	return f, nil
}

// SyntaxError reports a frame that could not be decoded.
type SyntaxError struct {
	// Err is the decoding error.
	Err error
}

func (e *SyntaxError) Error() string { return "stats: bad frame: " + e.Err.Error() }

// Unwrap returns the decoding error.
func (e *SyntaxError) Unwrap() error { return e.Err }
