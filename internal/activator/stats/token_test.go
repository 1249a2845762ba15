package stats

import (
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

func isAuth(token string) func(statwire.Frame) bool {
	return func(f statwire.Frame) bool { return f.IsAuth() && f.Token == token }
}

// TestReporterSendsRotatedToken: the first line on every connection is the
// token read from the file at that moment, and a token that kubelet rotates
// in the file is sent on the open connection at the next refresh.
func TestReporterSendsRotatedToken(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	rotate := func(token string) {
		t.Helper()
		// kubelet swaps the file atomically; so does this.
		tmp := file + ".tmp"
		if err := os.WriteFile(tmp, []byte(token+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(tmp, file); err != nil {
			t.Fatal(err)
		}
	}
	rotate("token-1")
	ln := listen(t)
	fc := clocktesting.NewFakeClock(time.Unix(1000, 0))
	r := New(Options{Source: "act-1", Address: ln.Addr().String(), Clock: fc, TokenFile: file, TokenRefresh: 30 * time.Second})
	runReporter(t, r)

	conn, frames := acceptFrames(t, ln)
	if f := next(t, frames); !isAuth("token-1")(f) || f.Source != "" || len(f.Stats) != 0 {
		t.Fatalf("first line %+v, want an auth line with token-1 only", f)
	}
	r.Poke(revA)
	nextWhere(t, frames, isPoke("a-1"))

	rotate("token-2")
	// Waiters: the period, resolve and token tickers.
	testutil.Eventually(t, 10*time.Second, "tickers", func() bool { return fc.Waiters() >= 3 })
	fc.Step(30 * time.Second)
	nextWhere(t, frames, isAuth("token-2"))
	r.Poke(revB)
	nextWhere(t, frames, isPoke("b-1"))

	// A new connection opens with the token in the file when it is made.
	rotate("token-3")
	_ = conn.Close() // the reporter redials at once
	_, frames = acceptFrames(t, ln)
	if f := next(t, frames); !isAuth("token-3")(f) {
		t.Fatalf("first line after reconnecting %+v, want token-3", f)
	}
}

// TestReporterWithoutTokenDoesNotConnect: with no readable token there is
// nothing to present, so the Reporter does not connect at all.
func TestReporterWithoutTokenDoesNotConnect(t *testing.T) {
	ln := listen(t)
	fc := clocktesting.NewFakeClock(time.Unix(1000, 0))
	r := New(Options{Source: "act-1", Address: ln.Addr().String(), Clock: fc, TokenFile: filepath.Join(t.TempDir(), "missing")})
	runReporter(t, r)
	testutil.Eventually(t, 10*time.Second, "backoff timer", func() bool { return fc.Waiters() >= 4 })
	if err := ln.(*net.TCPListener).SetDeadline(time.Now().Add(300 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	if c, err := ln.Accept(); err == nil {
		_ = c.Close()
		t.Fatal("the reporter connected without a token")
	}
}
