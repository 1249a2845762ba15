package sink

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestRing: first in, first out across wrap-arounds and growth; the
// buffer stays within the bound and is let go once a burst drains.
func TestRing(t *testing.T) {
	evs := testEvents(2*keepRing + 200)
	var r ring
	var got []string
	pop := func(n int) {
		for range n {
			got = append(got, r.pop().ID)
		}
	}
	next := 0
	push := func(n, limit int) {
		for range n {
			r.push(evs[next], limit)
			next++
		}
		if len(r.buf) > limit {
			t.Fatalf("buffer of %d events, over the bound %d", len(r.buf), limit)
		}
	}
	push(50, 100) // a buffer of minRing (64)
	pop(40)       // the head at 40
	push(60, 100) // wraps round, then grows while wrapped
	if len(r.buf) != 100 {
		t.Fatalf("buffer of %d events, want the bound, 100", len(r.buf))
	}
	pop(30)
	push(60, 100) // exactly full
	pop(r.count())
	if len(r.buf) == 0 {
		t.Errorf("a small buffer was let go")
	}
	push(len(evs)-next, len(evs))
	pop(r.count())
	if r.buf != nil {
		t.Errorf("a buffer of %d events kept after draining, want it let go", len(r.buf))
	}
	if d := cmp.Diff(idsOf(evs), got); d != "" {
		t.Errorf("popped (-pushed +got):\n%s", d)
	}
}
