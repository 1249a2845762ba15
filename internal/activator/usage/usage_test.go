package usage

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/statwire"
)

type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.now = t }

var api = types.NamespacedName{Namespace: "ns", Name: "api"}

// entries indexes a snapshot by rule and client.
func entries(u *statwire.Usage) map[string]statwire.UsageEntry {
	out := map[string]statwire.UsageEntry{}
	if u == nil {
		return out
	}
	for _, e := range u.Entries {
		out[fmt.Sprintf("%s/%d/%s", e.Route, e.Rule, e.Client)] = e
	}
	return out
}

func TestCounterCountsCumulatively(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	u := New(c.Now)
	if s := u.Snapshot(); s != nil {
		t.Fatalf("nothing counted: %+v, want nil", s)
	}
	u.Done(api, 0, 200, "", false)
	u.Done(api, 0, 200, "alice", false)
	u.Done(api, 0, 429, "alice", true)
	u.Done(api, 1, 503, "", false)
	u.Done(api, 1, 99, "", false) // not a status: not counted
	s := u.Snapshot()
	if s.Day != "2026-12-02" || s.Epoch != c.now.UnixMilli() {
		t.Fatalf("day %q epoch %d", s.Day, s.Epoch)
	}
	if len(s.Entries) != 3 {
		t.Errorf("%d entries, want each of the 3 once", len(s.Entries))
	}
	got := entries(s)
	want := map[string]statwire.UsageEntry{
		"api/0/":      {Namespace: "ns", Route: "api", Rule: 0, Classes: [5]int64{0, 2, 0, 1, 0}, RateLimited: 1},
		"api/0/alice": {Namespace: "ns", Route: "api", Rule: 0, Client: "alice", Classes: [5]int64{0, 1, 0, 1, 0}, RateLimited: 1},
		"api/1/":      {Namespace: "ns", Route: "api", Rule: 1, Classes: [5]int64{0, 0, 0, 0, 1}},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %+v, want %+v", k, got[k], w)
		}
	}
	// Cumulative: the next change carries the whole count.
	u.Done(api, 1, 200, "", false)
	if e := entries(u.Snapshot())["api/1/"]; e.Classes != [5]int64{0, 1, 0, 0, 1} {
		t.Errorf("after one more: %+v, want 1 2xx and 1 5xx", e.Classes)
	}
}

func TestCounterRotatesUnchangedEntries(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	u := New(c.Now)
	for i := range 120 {
		u.Done(types.NamespacedName{Namespace: "ns", Name: fmt.Sprint("r", i)}, 0, 200, "", false)
	}
	u.Snapshot() // every entry, changed
	seen := map[string]bool{}
	for range 60 {
		for k := range entries(u.Snapshot()) {
			seen[k] = true
		}
	}
	if len(seen) != 120 {
		t.Fatalf("a minute of frames carried %d of 120 unchanged entries, want all", len(seen))
	}
}

func TestCounterBoundsClientsAndFrames(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	u := New(c.Now)
	for i := range MaxClientsPerRule + 10 {
		u.Done(api, 0, 200, fmt.Sprint("client-", i), false)
	}
	got := entries(u.Snapshot())
	if len(got) != MaxClientsPerRule+1 {
		t.Fatalf("%d entries, want %d clients and the rule", len(got), MaxClientsPerRule)
	}
	if e := got["api/0/"]; e.Classes[1] != MaxClientsPerRule+10 {
		t.Errorf("the rule counted %d, want every request, %d", e.Classes[1], MaxClientsPerRule+10)
	}
	for i := range statwire.MaxUsageEntries + 5 {
		u.Done(types.NamespacedName{Namespace: "ns", Name: fmt.Sprint("r", i)}, 0, 200, "", false)
	}
	if n := len(u.Snapshot().Entries); n != statwire.MaxUsageEntries {
		t.Errorf("a frame of %d entries, want at most %d", n, statwire.MaxUsageEntries)
	}
	if n := len(entries(u.Snapshot())); n < 5 {
		t.Errorf("the next frame carried %d entries, want the 5 left over at least", n)
	}
}

func TestCounterFlushesTheDayThatEnded(t *testing.T) {
	c := &clock{now: time.Date(2026, 12, 2, 23, 59, 59, 0, time.UTC)}
	u := New(c.Now)
	u.Done(api, 0, 200, "", false)
	c.set(time.Date(2026, 12, 3, 0, 0, 1, 0, time.UTC))
	u.Done(api, 0, 500, "", false)
	if s := u.Snapshot(); s.Day != "2026-12-02" || entries(s)["api/0/"].Classes[1] != 1 {
		t.Fatalf("just after midnight: %+v, want the day that ended", s)
	}
	c.set(time.Date(2026, 12, 3, 0, 1, 1, 0, time.UTC))
	if s := u.Snapshot(); s.Day != "2026-12-03" || entries(s)["api/0/"].Classes != [5]int64{0, 0, 0, 0, 1} {
		t.Fatalf("a minute after midnight: %+v, want the new day's counts", s)
	}
}

func TestCounterForgetsDeletedRoutes(t *testing.T) {
	u := New(nil)
	u.Done(api, 0, 200, "alice", false)
	u.Forget(api)
	if s := u.Snapshot(); s != nil {
		t.Fatalf("after Forget: %+v, want nil", s)
	}
}
