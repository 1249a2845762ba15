package testutil

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// recorder is a testing.TB that records Fatalf instead of stopping.
type recorder struct {
	testing.TB
	failed string
}

func (r *recorder) Helper() {}

func (r *recorder) Fatalf(format string, args ...any) {
	r.failed = format
	for _, a := range args {
		if err, ok := a.(error); ok {
			r.failed += " " + err.Error()
		}
	}
}

func TestEventually(t *testing.T) {
	t.Run("bool holds after some calls", func(t *testing.T) {
		r := &recorder{TB: t}
		n := 0
		Eventually(r, time.Second, "third call", func() bool { n++; return n == 3 })
		if r.failed != "" || n != 3 {
			t.Fatalf("failed %q after %d calls; want success on call 3", r.failed, n)
		}
	})
	t.Run("error never clears: the last error is reported", func(t *testing.T) {
		r := &recorder{TB: t}
		Eventually(r, 20*time.Millisecond, "replicas", func(context.Context) error { return errors.New("saw 0, want 1") })
		if !strings.Contains(r.failed, "saw 0, want 1") {
			t.Fatalf("failure %q does not report the check's last error", r.failed)
		}
	})
	t.Run("bool never holds: fails", func(t *testing.T) {
		r := &recorder{TB: t}
		Eventually(r, 20*time.Millisecond, "never", func() bool { return false })
		if r.failed == "" {
			t.Fatal("Eventually did not fail for a condition that never held")
		}
	})
}

func TestTCPPair(t *testing.T) {
	c, s := TCPPair(t)
	if _, err := c.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 1)
	if _, err := s.Read(buf); err != nil || buf[0] != 'x' {
		t.Fatalf("server read %q, %v; want \"x\"", buf, err)
	}
	if c.RemoteAddr().String() != s.LocalAddr().String() {
		t.Errorf("client's peer %v is not the server's end %v", c.RemoteAddr(), s.LocalAddr())
	}
}
