package functionusage

import (
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/names"
)

// record is a usage record of ns/rev (client "" unless given) in the
// one-minute window that starts at start.
func record(ns, rev, client string, start time.Time, req int64) metering.Record {
	k := metering.Key{Namespace: ns, Function: names.FunctionOf(rev), Revision: rev, Client: client}
	return metering.Record{ID: metering.RecordID(k, start), Key: k, Mode: metering.ModeRequest,
		WindowStart: start, WindowEnd: start.Add(time.Minute), Requests: req, Units: 10 * req,
		GBSeconds: 2 * float64(req), VCPUSeconds: 0.5 * float64(req)}
}

var hello = types.NamespacedName{Namespace: "team-a", Name: "hello"}

func TestPendingSumsPerFunctionAndWindow(t *testing.T) {
	p := newPending(nil)
	p.add([]metering.Record{
		record("team-a", "hello-00001", "", at(2, 12, 0), 1),
		record("team-a", "hello-00002", "alice", at(2, 12, 0), 2), // another revision and client: same sum
		record("team-a", "web-00001", "", at(2, 12, 0), 4),
		record("team-b", "hello-00001", "", at(2, 12, 0), 8),
		record("team-a", "not-a-revision", "", at(2, 12, 0), 16),
	})
	p.add([]metering.Record{record("team-a", "hello-00001", "", at(2, 12, 2), 32)})
	p.add([]metering.Record{record("team-a", "hello-00001", "", at(2, 12, 1), 64)}) // out of order: kept in order
	keys := p.keys()
	want := []types.NamespacedName{hello, {Namespace: "team-a", Name: "web"}, {Namespace: "team-b", Name: "hello"}}
	if len(keys) != len(want) {
		t.Fatalf("keys = %v, want %v", keys, want)
	}
	for i := range want {
		if keys[i] != want[i] {
			t.Fatalf("keys = %v, want %v", keys, want)
		}
	}
	ws := p.take(hello)
	wantWs := []Window{win(at(2, 12, 0), 3), win(at(2, 12, 1), 64), win(at(2, 12, 2), 32)}
	if len(ws) != len(wantWs) {
		t.Fatalf("windows = %+v, want %+v", ws, wantWs)
	}
	for i := range wantWs {
		if ws[i] != wantWs[i] {
			t.Errorf("window %d = %+v, want %+v", i, ws[i], wantWs[i])
		}
	}
	if n := p.count(hello); n != 0 {
		t.Errorf("%d windows after take, want 0", n)
	}

	// Put back after a failed write, with a window that came meanwhile.
	p.add([]metering.Record{record("team-a", "hello-00001", "", at(2, 12, 2), 1)})
	p.restore(hello, ws)
	got := p.take(hello)
	if len(got) != 3 || got[2].Requests != 33 {
		t.Errorf("restored windows = %+v, want 3 with the last window's sums added", got)
	}
}

func TestPendingKeepsTheLatestWindows(t *testing.T) {
	dropped := 0
	p := newPending(func(n int) { dropped += n })
	start := at(1, 0, 0)
	var recs []metering.Record
	for i := range MaxPendingWindows + 5 {
		recs = append(recs, record("team-a", "hello-00001", "", start.Add(time.Duration(i)*time.Minute), 1))
	}
	p.add(recs)
	if n := p.count(hello); n != MaxPendingWindows {
		t.Fatalf("%d windows held, want %d", n, MaxPendingWindows)
	}
	if dropped != 5 {
		t.Errorf("dropped %d, want 5", dropped)
	}
	ws := p.take(hello)
	if !ws[0].Start.Equal(start.Add(5 * time.Minute)) {
		t.Errorf("oldest held starts %v, want the 6th window", ws[0].Start)
	}
	// Restoring onto a full list of newer windows drops the restored ones.
	p.add(recs[5:])
	p.restore(hello, []Window{win(start, 1)})
	if n := p.count(hello); n != MaxPendingWindows || dropped != 6 {
		t.Errorf("%d held, %d dropped; want %d, 6", n, dropped, MaxPendingWindows)
	}
}
