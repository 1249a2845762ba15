//go:build e2e

package e2e

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// activatorCmd is argv[0] of the activator's process in its image.
const activatorCmd = "/ko-app/activator"

// isCommand reports whether a process's /proc cmdline runs cmd, the
// activator's listener keeper (the activator's binary run as
// "activator keep-listeners", in the same pod) excepted.
func isCommand(cmdline []byte, cmd string) bool {
	argv := bytes.Split(cmdline, []byte{0})
	return string(argv[0]) == cmd && (len(argv) < 2 || string(argv[1]) != "keep-listeners")
}

// procPeak is what rssSampler saw of one activator process.
type procPeak struct {
	// podUID is the UID of the pod whose cgroup holds the process.
	podUID string
	// hwmKiB is the largest VmHWM (peak resident set over the process's
	// life) seen, in KiB; rssKiB the largest VmRSS sampled while watched.
	hwmKiB, rssKiB int64
}

// rssSampler reads, from the host's /proc, the peak resident set (VmHWM) of
// every activator process: the local cluster runs its containers on this
// host. It samples until its context ends, so that it also has a value for
// processes that are killed before the end.
type rssSampler struct {
	mu    sync.Mutex
	procs map[int]procPeak
	done  chan struct{}
}

// startRSSSampler samples every period until ctx ends.
func startRSSSampler(ctx context.Context, period time.Duration) *rssSampler {
	s := &rssSampler{procs: map[int]procPeak{}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			s.sample()
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
		}
	}()
	return s
}

// peaks returns per pod UID the largest VmHWM and the largest sampled VmRSS
// in KiB, and how many distinct activator processes each pod had.
func (s *rssSampler) peaks() (hwm, rss map[string]int64, procs map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	hwm, rss, procs = map[string]int64{}, map[string]int64{}, map[string]int{}
	for _, p := range s.procs {
		hwm[p.podUID] = max(hwm[p.podUID], p.hwmKiB)
		rss[p.podUID] = max(rss[p.podUID], p.rssKiB)
		procs[p.podUID]++
	}
	return hwm, rss, procs
}

// sample reads every activator process once.
func (s *rssSampler) sample() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		dir := filepath.Join("/proc", e.Name())
		cmd, err := os.ReadFile(filepath.Join(dir, "cmdline"))
		if err != nil || !isCommand(cmd, activatorCmd) {
			continue
		}
		hwm, ok := statusKiB(dir, "VmHWM:")
		if !ok {
			continue
		}
		rss, _ := statusKiB(dir, "VmRSS:")
		s.mu.Lock()
		p, seen := s.procs[pid]
		if !seen {
			p.podUID = podUIDOf(dir)
		}
		p.hwmKiB, p.rssKiB = max(p.hwmKiB, hwm), max(p.rssKiB, rss)
		s.procs[pid] = p
		s.mu.Unlock()
	}
}

// statusKiB reads a "Key: N kB" line of /proc/<pid>/status.
func statusKiB(dir, key string) (int64, bool) {
	f, err := os.Open(filepath.Join(dir, "status"))
	if err != nil {
		return 0, false
	}
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, key) {
			continue
		}
		fields := strings.Fields(strings.TrimPrefix(line, key))
		if len(fields) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		return n, err == nil
	}
	return 0, false
}

// podCgroup finds the pod UID in a kubelet cgroup path, with either
// driver's spelling (cgroupfs "pod<uid>", systemd "pod<uid_with_underscores>").
var podCgroup = regexp.MustCompile(`pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})`)

// podUIDOf returns the UID of the pod whose cgroup holds the process, or "".
func podUIDOf(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "cgroup"))
	if err != nil {
		return ""
	}
	m := podCgroup.FindSubmatch(b)
	if m == nil {
		return ""
	}
	return strings.ReplaceAll(string(m[1]), "_", "-")
}
