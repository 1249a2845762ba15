package meter

import (
	"fmt"
	"reflect"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/metering"
	"github.com/wakefn/wake/internal/statwire"
)

// fakeNow is a settable clock.
type fakeNow struct{ t time.Time }

func (f *fakeNow) now() time.Time       { return f.t }
func (f *fakeNow) step(d time.Duration) { f.t = f.t.Add(d) }
func newMeter(mode string, f *fakeNow) *Meter {
	return New(Options{Mode: mode, Window: time.Minute, Now: f.now})
}

var (
	t0   = time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	revA = types.NamespacedName{Namespace: "team-a", Name: "api-00001"}
	revB = types.NamespacedName{Namespace: "team-b", Name: "web-00002"}
)

// sum adds up a snapshot's entries per key.
func byKey(ms ...*statwire.Metering) map[string]statwire.MeterEntry {
	out := map[string]statwire.MeterEntry{}
	for _, m := range ms {
		if m == nil {
			continue
		}
		for _, e := range m.Entries {
			k := fmt.Sprintf("%s/%s/%s@%d", e.Namespace, e.Revision, e.Client, e.Start)
			if e.Pod != "" {
				k += " pod " + e.Pod
			}
			out[k] = e
		}
	}
	return out
}

func TestRequestMode(t *testing.T) {
	f := &fakeNow{t: t0.Add(5 * time.Second)}
	m := newMeter(metering.ModeRequest, f)
	m.Request(revA, "", 46120*time.Microsecond, 0)              // 1 unit
	m.Request(revA, "", 123020*time.Microsecond, 2*time.Second) // 2 units, cold 20
	m.Request(revA, "alice", time.Millisecond, 0)               // 1 unit, apart
	m.Refused(revA, "")
	m.Refused(revB, "bob")
	got := byKey(m.Snapshot())
	start := t0.UnixMilli()
	want := map[string]statwire.MeterEntry{
		fmt.Sprintf("team-a/api-00001/@%d", start): {Namespace: "team-a", Revision: "api-00001", Start: start,
			Requests: 2, Units: 3, Micros: 46120 + 123020, ColdStarts: 1, ColdStartUnits: 20, Refused: 1},
		fmt.Sprintf("team-a/api-00001/alice@%d", start): {Namespace: "team-a", Revision: "api-00001", Client: "alice", Start: start,
			Requests: 1, Units: 1, Micros: 1000},
		fmt.Sprintf("team-b/web-00002/bob@%d", start): {Namespace: "team-b", Revision: "web-00002", Client: "bob", Start: start, Refused: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d entries %v, want %d", len(got), got, len(want))
	}
	for k, w := range want {
		if !reflect.DeepEqual(got[k], w) {
			t.Errorf("%s = %+v, want %+v", k, got[k], w)
		}
	}
}

func TestInstanceModeRecordsBusyIntervals(t *testing.T) {
	f := &fakeNow{t: t0}
	m := newMeter(metering.ModeInstance, f)
	// Two overlapping requests on one pod: one busy interval of 250 ms.
	m.PodBegin(revA, "10.0.0.1:8080")
	f.step(100 * time.Millisecond)
	m.PodBegin(revA, "10.0.0.1:8080")
	f.step(100 * time.Millisecond)
	m.PodEnd("10.0.0.1:8080")
	m.Request(revA, "", 200*time.Millisecond, 0)
	f.step(50 * time.Millisecond)
	m.PodEnd("10.0.0.1:8080")
	m.Request(revA, "", 150*time.Millisecond, 0)
	// Then 1 ms on another pod.
	m.PodBegin(revA, "10.0.0.2:8080")
	f.step(time.Millisecond)
	m.PodEnd("10.0.0.2:8080")
	m.PodEnd("10.0.0.3:8080") // unknown: ignored
	got := byKey(m.Snapshot())
	start := t0.UnixMilli()
	if e := got[fmt.Sprintf("team-a/api-00001/@%d", start)]; e.Requests != 2 || e.Units != 0 || e.Busy != nil {
		t.Errorf("revision entry = %+v, want 2 requests and no units (the autoscaler bills the pods' intervals)", e)
	}
	for pod, want := range map[string][]int64{"10.0.0.1:8080": {0, 250000}, "10.0.0.2:8080": {250000, 251000}} {
		e := got[fmt.Sprintf("team-a/api-00001/@%d pod %s", start, pod)]
		if !reflect.DeepEqual(e.Busy, want) || e.Revision != "api-00001" {
			t.Errorf("pod %s: %+v, want busy %v", pod, e, want)
		}
	}
	if len(m.pods) != 0 {
		t.Errorf("%d pods still held after their requests ended", len(m.pods))
	}
}

// TestInstanceModeCutsAtWindowBounds: a pod busy across the end of a
// window has its time in that window recorded soon after the window
// closes, not only when its last request ends; an interval is joined to
// the one it continues, and beyond MaxBusyIntervals to the last one.
func TestInstanceModeCutsAtWindowBounds(t *testing.T) {
	f := &fakeNow{t: t0.Add(59900 * time.Millisecond)}
	m := newMeter(metering.ModeInstance, f)
	m.PodBegin(revA, "p")
	f.step(600 * time.Millisecond) // 60.5 s: the first window closed
	first := byKey(m.Snapshot())
	if e := first[fmt.Sprintf("team-a/api-00001/@%d pod p", t0.UnixMilli())]; !reflect.DeepEqual(e.Busy, []int64{59900000, 60000000}) {
		t.Fatalf("closed window's busy = %v, want its last 100 ms", e.Busy)
	}
	f.step(400 * time.Millisecond)
	m.Snapshot()
	f.step(100 * time.Millisecond)
	m.PodEnd("p")
	next := t0.Add(time.Minute).UnixMilli()
	if e := byKey(m.Final()...)[fmt.Sprintf("team-a/api-00001/@%d pod p", next)]; !reflect.DeepEqual(e.Busy, []int64{0, 1000000}) {
		t.Fatalf("open window's busy = %v, want one interval of 1 s from the window's start", e.Busy)
	}

	en := &entry{}
	for i := range MaxBusyIntervals + 3 {
		en.addBusy(int64(10*i), int64(10*i+5))
	}
	if n := len(en.busy); n != 2*MaxBusyIntervals || en.busy[n-1] != int64(10*(MaxBusyIntervals+2)+5) {
		t.Errorf("%d numbers ending %d: want %d, the last interval stretched to the newest end", n, en.busy[n-1], 2*MaxBusyIntervals)
	}
}

func TestSnapshotCarriesChangesRotationAndClosedWindows(t *testing.T) {
	f := &fakeNow{t: t0}
	m := newMeter(metering.ModeRequest, f)
	for i := range 30 {
		m.Request(types.NamespacedName{Namespace: "n", Name: fmt.Sprint("r", i)}, "", time.Millisecond, 0)
	}
	if got := len(m.Snapshot().Entries); got != 30 {
		t.Fatalf("first snapshot has %d entries, want all 30 (changed)", got)
	}
	m.Request(types.NamespacedName{Namespace: "n", Name: "r7"}, "", time.Millisecond, 0)
	if got := len(m.Snapshot().Entries); got != 1+30/rotateShare && got != 30/rotateShare {
		t.Fatalf("second snapshot has %d entries, want the changed one and a rotation of %d", got, 30/rotateShare)
	}
	// Over rotateShare snapshots every entry comes round again.
	seen := map[string]bool{}
	for range rotateShare {
		for k := range byKey(m.Snapshot()) {
			seen[k] = true
		}
	}
	if len(seen) != 30 {
		t.Errorf("rotation carried %d of 30 entries in %d frames", len(seen), rotateShare)
	}
	// Once the window closes, every frame carries all of it for ResendFor.
	f.step(time.Minute)
	for range 3 {
		if got := len(m.Snapshot().Entries); got != 30 {
			t.Fatalf("closed window: snapshot has %d entries, want 30", got)
		}
		f.step(time.Second)
	}
	f.step(ResendFor)
	if s := m.Snapshot(); s != nil {
		t.Errorf("window closed longer than ResendFor ago still sent: %d entries", len(s.Entries))
	}
	if m.entries != 0 || len(m.windows) != 0 {
		t.Errorf("%d entries in %d windows held after they were forgotten", m.entries, len(m.windows))
	}
}

func TestBounds(t *testing.T) {
	f := &fakeNow{t: t0}
	m := newMeter(metering.ModeRequest, f)
	for i := range MaxClientsPerRevision + 5 {
		m.Request(revA, fmt.Sprint("c", i), time.Millisecond, 0)
	}
	got := byKey(m.Final()...)
	if len(got) != MaxClientsPerRevision+1 {
		t.Fatalf("%d entries, want %d clients and the revision's own", len(got), MaxClientsPerRevision)
	}
	if e := got[fmt.Sprintf("team-a/api-00001/@%d", t0.UnixMilli())]; e.Requests != 5 {
		t.Errorf("clients over the cap: %d requests under no client, want 5", e.Requests)
	}
	m.entries = MaxEntries
	m.Request(revB, "", time.Millisecond, 0)
	if m.Overflow() != 1 {
		t.Errorf("Overflow = %d, want 1", m.Overflow())
	}
}

func TestFinalSplitsIntoFrames(t *testing.T) {
	f := &fakeNow{t: t0}
	m := newMeter(metering.ModeRequest, f)
	n := statwire.MaxMeterEntries + 10
	for i := range n {
		m.Request(types.NamespacedName{Namespace: "n", Name: fmt.Sprint("r", i)}, "", time.Millisecond, 0)
	}
	frames := m.Final()
	if len(frames) != 2 || len(frames[0].Entries) != statwire.MaxMeterEntries || len(frames[1].Entries) != 10 {
		t.Fatalf("Final gave %d frames, want 2 of %d and 10", len(frames), statwire.MaxMeterEntries)
	}
	if frames[0].Epoch != t0.UnixMilli() || frames[0].Mode != metering.ModeRequest || frames[0].WindowMillis != 60000 {
		t.Errorf("frame header = %+v", frames[0])
	}
	var nilMeter *Meter
	nilMeter.Request(revA, "", time.Second, 0)
	if nilMeter.Snapshot() != nil || nilMeter.Final() != nil {
		t.Error("a nil Meter reported something")
	}
}

// TestSnapshotBoundsAFrameAndSendsEveryChange: a frame carries at most
// statwire.MaxMeterEntries entries and about MaxFrameBusyNumbers busy
// numbers; the changes it could not carry come in the next frames, also
// those of a window that closed.
func TestSnapshotBoundsAFrameAndSendsEveryChange(t *testing.T) {
	f := &fakeNow{t: t0}
	m := newMeter(metering.ModeInstance, f)
	n := statwire.MaxMeterEntries + 10
	for i := range n {
		m.Request(types.NamespacedName{Namespace: "n", Name: fmt.Sprint("r", i)}, "", 0, 0)
	}
	f.step(time.Minute) // the window closed: every entry is due
	seen := map[string]bool{}
	for range 2 {
		s := m.Snapshot()
		if len(s.Entries) > statwire.MaxMeterEntries {
			t.Fatalf("a frame of %d entries", len(s.Entries))
		}
		for k := range byKey(s) {
			seen[k] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("two frames carried %d of %d entries", len(seen), n)
	}

	for i := range 2 * MaxFrameBusyNumbers / (2 * MaxBusyIntervals) {
		addr := fmt.Sprint("10.0.1.", i)
		for range MaxBusyIntervals {
			m.PodBegin(revA, addr)
			f.step(time.Microsecond)
			m.PodEnd(addr)
			f.step(time.Microsecond)
		}
	}
	s := m.Snapshot()
	busy := 0
	for _, e := range s.Entries {
		busy += len(e.Busy)
	}
	if busy > MaxFrameBusyNumbers+2*MaxBusyIntervals || busy < MaxFrameBusyNumbers {
		t.Errorf("a frame of %d busy numbers, want about %d", busy, MaxFrameBusyNumbers)
	}
}
