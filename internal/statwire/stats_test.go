package statwire

import (
	"bytes"
	"errors"
	"io"
	"math"
	"strings"
	"testing"
)

func TestWriteReadRoundTrip(t *testing.T) {
	in := []Frame{
		{Source: "act-1", Timestamp: 1764090000000, Stats: []Stat{
			{Namespace: "default", Revision: "hello-00001", AverageConcurrency: 3.5, RequestCount: 42},
			{Namespace: "team-a", Revision: "api-00003", RequestCount: 1, Poke: true},
		}},
		{Source: "act-1", Timestamp: 1764090001000},
	}
	var buf bytes.Buffer
	for _, f := range in {
		if err := Write(&buf, f); err != nil {
			t.Fatal(err)
		}
	}
	if got := strings.Count(buf.String(), "\n"); got != len(in) {
		t.Fatalf("%d lines for %d frames", got, len(in))
	}
	r := NewReader(&buf)
	for i, want := range in {
		got, err := r.Next()
		if err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
		if got.Source != want.Source || got.Timestamp != want.Timestamp || len(got.Stats) != len(want.Stats) {
			t.Fatalf("frame %d = %+v, want %+v", i, got, want)
		}
		for j := range want.Stats {
			if got.Stats[j] != want.Stats[j] {
				t.Errorf("frame %d stat %d = %+v, want %+v", i, j, got.Stats[j], want.Stats[j])
			}
		}
	}
	if _, err := r.Next(); err != io.EOF {
		t.Fatalf("after the last frame: %v, want io.EOF", err)
	}
}

func TestReaderErrors(t *testing.T) {
	long := `{"src":"x","pad":"` + strings.Repeat("a", MaxFrameBytes) + "\"}\n"
	atLimit := `{"src":"x","pad":"` + strings.Repeat("a", MaxFrameBytes-len(`{"src":"x","pad":""}`)-1) + "\"}\n"
	tests := []struct {
		name string
		in   string
		// want lists, per call to Next, "ok", "syntax", "toolong" or "eof".
		want []string
	}{
		{name: "garbage then a frame", in: "nope\n{\"src\":\"x\"}\n", want: []string{"syntax", "ok", "eof"}},
		{name: "empty line", in: "\n", want: []string{"syntax", "eof"}},
		{name: "NaN is not JSON", in: `{"src":"x","stats":[{"c":NaN}]}` + "\n", want: []string{"syntax", "eof"}},
		{name: "truncated last frame", in: `{"src":"x"}` + "\n" + `{"src":`, want: []string{"ok", "syntax", "eof"}},
		{name: "frame at the limit", in: atLimit, want: []string{"ok", "eof"}},
		{name: "frame over the limit", in: long, want: []string{"toolong"}},
		{name: "number out of range", in: `{"src":"x","stats":[{"c":1e999}]}` + "\n", want: []string{"syntax", "eof"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "frame at the limit" && len(atLimit) != MaxFrameBytes {
				t.Fatalf("test frame is %d bytes, want %d", len(atLimit), MaxFrameBytes)
			}
			r := NewReader(strings.NewReader(tc.in))
			for i, want := range tc.want {
				_, err := r.Next()
				var se *SyntaxError
				got := "ok"
				switch {
				case err == nil:
				case errors.As(err, &se):
					got = "syntax"
				case errors.Is(err, ErrFrameTooLong):
					got = "toolong"
				case err == io.EOF:
					got = "eof"
				default:
					got = err.Error()
				}
				if got != want {
					t.Fatalf("call %d: %s (%v), want %s", i, got, err, want)
				}
			}
		})
	}
}

func TestWriteRejects(t *testing.T) {
	var buf bytes.Buffer
	if err := Write(&buf, Frame{Source: "x", Stats: []Stat{{AverageConcurrency: math.NaN()}}}); err == nil {
		t.Error("NaN frame written")
	}
	if err := Write(&buf, Frame{Source: strings.Repeat("x", MaxFrameBytes)}); !errors.Is(err, ErrFrameTooLong) {
		t.Errorf("oversized frame: %v, want ErrFrameTooLong", err)
	}
	if buf.Len() != 0 {
		t.Errorf("rejected frames wrote %d bytes", buf.Len())
	}
}

func TestStatValid(t *testing.T) {
	ok := Stat{Namespace: "n", Revision: "r", AverageConcurrency: 1, RequestCount: 2}
	tests := []struct {
		name   string
		mutate func(*Stat)
		want   bool
	}{
		{name: "valid", want: true},
		{name: "zeros are valid", mutate: func(s *Stat) { s.AverageConcurrency, s.RequestCount = 0, 0 }, want: true},
		{name: "no namespace", mutate: func(s *Stat) { s.Namespace = "" }},
		{name: "no revision", mutate: func(s *Stat) { s.Revision = "" }},
		{name: "negative concurrency", mutate: func(s *Stat) { s.AverageConcurrency = -0.5 }},
		{name: "negative count", mutate: func(s *Stat) { s.RequestCount = -1 }},
		{name: "NaN", mutate: func(s *Stat) { s.AverageConcurrency = math.NaN() }},
		{name: "Inf", mutate: func(s *Stat) { s.RequestCount = math.Inf(1) }},
	}
	for _, tc := range tests {
		s := ok
		if tc.mutate != nil {
			tc.mutate(&s)
		}
		if got := s.Valid(); got != tc.want {
			t.Errorf("%s: Valid() = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestAuthLine(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteAuth(&buf, "eyJ.a.b"); err != nil {
		t.Fatal(err)
	}
	if got := buf.String(); got != `{"token":"eyJ.a.b"}`+"\n" {
		t.Fatalf("auth line %q", got)
	}
	if err := Write(&buf, Frame{Source: "act-1"}); err != nil {
		t.Fatal(err)
	}
	r := NewReader(&buf)
	r.SetLimit(MaxAuthBytes)
	f, err := r.Next()
	if err != nil || !f.IsAuth() || f.Token != "eyJ.a.b" {
		t.Fatalf("first line %+v, %v; want the auth line", f, err)
	}
	f, err = r.Next()
	if err != nil || f.IsAuth() || f.Source != "act-1" {
		t.Fatalf("second line %+v, %v; want a frame", f, err)
	}
	for _, bad := range []string{"", strings.Repeat("t", MaxAuthBytes)} {
		if err := WriteAuth(&buf, bad); err == nil {
			t.Errorf("WriteAuth of a %d-byte token: no error", len(bad))
		}
	}
}

func TestReaderSetLimit(t *testing.T) {
	long := `{"token":"` + strings.Repeat("a", MaxAuthBytes) + "\"}\n"
	r := NewReader(strings.NewReader(long))
	r.SetLimit(MaxAuthBytes)
	if _, err := r.Next(); !errors.Is(err, ErrFrameTooLong) {
		t.Fatalf("auth line over MaxAuthBytes: %v, want ErrFrameTooLong", err)
	}
	r = NewReader(strings.NewReader(long + long))
	r.SetLimit(MaxAuthBytes)
	r.SetLimit(0) // back to MaxFrameBytes
	for i := range 2 {
		if f, err := r.Next(); err != nil || !f.IsAuth() {
			t.Fatalf("line %d under the frame limit: %+v, %v", i, f, err)
		}
	}
	// A peer that never sends a newline is cut off at the limit, not read
	// forever.
	r = NewReader(io.MultiReader(strings.NewReader(strings.Repeat("x", 64)), neverEnding('x')))
	r.SetLimit(MaxAuthBytes)
	if _, err := r.Next(); !errors.Is(err, ErrFrameTooLong) {
		t.Fatalf("endless line: %v, want ErrFrameTooLong", err)
	}
}

// neverEnding is a stream of one byte without end.
type neverEnding byte

func (b neverEnding) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(b)
	}
	return len(p), nil
}
