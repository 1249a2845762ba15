package proc

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
)

func TestParseStatus(t *testing.T) {
	for _, tc := range []struct {
		name     string
		in       string
		rss, hwm int64
		ok       bool
	}{
		{"process", "Name:\tactivator\nVmHWM:\t  20480 kB\nVmRSS:\t   10240 kB\nThreads:\t7\n", 10240, 20480, true},
		{"kernel thread", "Name:\tkworker/0:1\nThreads:\t1\n", 0, 0, false},
		{"only rss", "VmRSS:\t1 kB\n", 0, 0, false},
		{"not kB", "VmRSS:\t1 MB\nVmHWM:\t1 kB\n", 0, 0, false},
		{"negative", "VmRSS:\t-1 kB\nVmHWM:\t1 kB\n", 0, 0, false},
		{"not a number", "VmRSS:\tlots kB\nVmHWM:\t1 kB\n", 0, 0, false},
		{"similar keys ignored", "VmRSSx:\tjunk\nVmRSS:\t3 kB\nVmHWM:\t4 kB\n", 3, 4, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rss, hwm, err := ParseStatus([]byte(tc.in))
			if (err == nil) != tc.ok || rss != tc.rss || hwm != tc.hwm {
				t.Errorf("ParseStatus = %d, %d, %v; want %d, %d, ok=%v", rss, hwm, err, tc.rss, tc.hwm, tc.ok)
			}
		})
	}
}

// statLine is a /proc/<pid>/stat line with the given command name, utime,
// stime and starttime.
func statLine(comm string, utime, stime, start uint64) string {
	return fmt.Sprintf("42 (%s) S 1 42 42 0 -1 4194560 100 0 0 0 %d %d 0 0 20 0 7 0 %d 1000000 2500 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n",
		comm, utime, stime, start)
}

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		name       string
		in         string
		cpu, start uint64
		ok         bool
	}{
		{"plain", statLine("activator", 150, 50, 9000), 200, 9000, true},
		{"name with spaces and parentheses", statLine("a) (b c", 1, 2, 3), 3, 3, true},
		{"no name", "42 S 1 2 3", 0, 0, false},
		{"too short", "42 (x) S 1 2 3", 0, 0, false},
		{"not a number", "42 (x) S 1 42 42 0 -1 4194560 100 0 0 0 u 2 0 0 20 0 7 0 3 1", 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cpu, start, err := ParseStat([]byte(tc.in))
			if (err == nil) != tc.ok || cpu != tc.cpu || start != tc.start {
				t.Errorf("ParseStat = %d, %d, %v; want %d, %d, ok=%v", cpu, start, err, tc.cpu, tc.start, tc.ok)
			}
		})
	}
}

func TestPIDFile(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		content string
		want    int
		ok      bool
	}{
		{"123\n", 123, true}, {"123", 123, true}, {"", 0, false}, {"-5\n", 0, false}, {"12 13", 0, false},
	} {
		path := filepath.Join(dir, "x.pid")
		if err := os.WriteFile(path, []byte(tc.content), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := PIDFile(path)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("PIDFile(%q) = %d, %v; want %d ok=%v", tc.content, got, err, tc.want, tc.ok)
		}
	}
	if _, err := PIDFile(filepath.Join(dir, "missing")); err == nil {
		t.Error("PIDFile of a missing file succeeded")
	}
}

// fakeProc is a /proc file system in a temporary folder.
type fakeProc struct {
	t    *testing.T
	root string
}

func (f fakeProc) put(pid int, argv0 string, rssKiB, hwmKiB int64, cpu, start uint64) {
	dir := filepath.Join(f.root, strconv.Itoa(pid))
	for name, content := range map[string]string{
		"cmdline": argv0 + "\x00--flag\x00",
		"status":  fmt.Sprintf("Name:\tx\nVmHWM:\t%d kB\nVmRSS:\t%d kB\n", hwmKiB, rssKiB),
		"stat":    statLine("x", cpu, 0, start),
	} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			f.t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			f.t.Fatal(err)
		}
	}
}

func (f fakeProc) remove(pid int) {
	if err := os.RemoveAll(filepath.Join(f.root, strconv.Itoa(pid))); err != nil {
		f.t.Fatal(err)
	}
}

func TestSampler(t *testing.T) {
	f := fakeProc{t, t.TempDir()}
	pidFile := filepath.Join(t.TempDir(), "kube-apiserver.pid")
	if err := os.WriteFile(pidFile, []byte("30\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(f.root, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	f.put(10, "/ko-app/controller", 1000, 1500, 500, 1)
	f.put(11, "/ko-app/activator", 2000, 2000, 100, 2)
	f.put(12, "/ko-app/activator", 3000, 3000, 100, 3)
	f.put(13, "/ko-app/hello", 9000, 9000, 100, 4)
	f.put(30, "/somewhere/bin/kube-apiserver", 50000, 60000, 1000, 5)
	f.put(31, "/other/bin/kube-apiserver", 99999, 99999, 1000, 6) // an envtest API server: not ours
	s := NewSampler(f.root,
		Role{Name: "controller", Argv0: "/ko-app/controller"},
		Role{Name: "activator", Argv0: "/ko-app/activator"},
		Role{Name: "apiserver", PIDFile: pidFile})
	s.Sample()

	f.put(10, "/ko-app/controller", 4000, 4000, 700, 1) // grew, used 2 s
	f.remove(12)                                        // exited
	f.put(14, "/ko-app/activator", 500, 500, 300, 7)    // started: 3 s, all counted
	f.put(30, "/somewhere/bin/kube-apiserver", 40000, 60000, 1100, 5)
	s.Sample()

	now := s.Now()
	wantNow := map[string]Now{
		"controller": {Processes: 1, MaxRSSKiB: 4000},
		"activator":  {Processes: 2, MaxRSSKiB: 2000},
		"apiserver":  {Processes: 1, MaxRSSKiB: 40000},
	}
	if fmt.Sprint(now) != fmt.Sprint(wantNow) {
		t.Errorf("Now = %v, want %v", now, wantNow)
	}
	wantTotals := map[string]Total{
		"controller": {Processes: 1, PeakRSSKiB: 4000, PeakHWMKiB: 4000, CPUSeconds: 2},
		"activator":  {Processes: 3, PeakRSSKiB: 3000, PeakHWMKiB: 3000, CPUSeconds: 3},
		"apiserver":  {Processes: 1, PeakRSSKiB: 50000, PeakHWMKiB: 60000, CPUSeconds: 1},
	}
	if got := s.Totals(); fmt.Sprint(got) != fmt.Sprint(wantTotals) {
		t.Errorf("Totals = %v, want %v", got, wantTotals)
	}

	// PID 11 is reused by another activator: a new process, all its CPU counts.
	f.put(11, "/ko-app/activator", 100, 100, 50, 99)
	s.Sample()
	if got := s.Totals()["activator"]; got.Processes != 4 || got.CPUSeconds != 3.5 {
		t.Errorf("after PID reuse: %+v, want 4 processes and 3.5 CPU seconds", got)
	}
}

func TestSamplerOnTheRealProc(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	s := NewSampler("/proc", Role{Name: "me", Argv0: os.Args[0]}, Role{Name: "exe", Argv0: self})
	s.Sample()
	n := s.Now()
	if n["me"].Processes+n["exe"].Processes == 0 || max(n["me"].MaxRSSKiB, n["exe"].MaxRSSKiB) <= 0 {
		t.Errorf("Now = %v, want this test's own process with a resident set", n)
	}
}
