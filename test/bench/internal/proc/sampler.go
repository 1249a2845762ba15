package proc

import (
	"os"
	"path/filepath"
	"strconv"
	"sync"
)

// Role names a kind of process to watch: those whose argv[0] is Argv0, or
// the one process named by PIDFile (read again on every sample, so a
// restarted process is found).
type Role struct {
	Name    string
	Argv0   string
	PIDFile string
}

// Now is a role's processes at the last sample.
type Now struct {
	// Processes is how many were running.
	Processes int
	// MaxRSSKiB is the largest VmRSS of one of them.
	MaxRSSKiB int64
}

// Total is what a sampler saw of a role over its whole run.
type Total struct {
	// Processes is how many distinct processes were seen.
	Processes int
	// PeakRSSKiB is the largest VmRSS sampled of one process; PeakHWMKiB
	// the largest VmHWM, which also counts peaks between samples and
	// before the run.
	PeakRSSKiB, PeakHWMKiB int64
	// CPUSeconds is the CPU time the processes used while sampled: for a
	// process already running at the first sample, from then on; for one
	// started later, all of it.
	CPUSeconds float64
}

// procKey names one process, even across PID reuse.
type procKey struct {
	pid   int
	start uint64
}

type tracked struct {
	role               string
	baseCPU, lastCPU   uint64
	peakRSS, peakHWM   int64
	lastRSS            int64
	seenInLatestSample bool
}

// Sampler follows the processes of a set of roles on a /proc file system.
// Its methods are safe for concurrent use.
type Sampler struct {
	root  string
	roles []Role

	mu      sync.Mutex
	samples int
	procs   map[procKey]*tracked
}

// NewSampler follows roles on the /proc file system at root.
func NewSampler(root string, roles ...Role) *Sampler {
	return &Sampler{root: root, roles: roles, procs: map[procKey]*tracked{}}
}

// Sample reads every process of every role once. Processes that exit
// while being read are skipped.
func (s *Sampler) Sample() {
	found := map[procKey]struct {
		role string
		st   Stat
	}{}
	add := func(pid int, role string) {
		st, err := Read(filepath.Join(s.root, strconv.Itoa(pid)))
		if err != nil {
			return
		}
		found[procKey{pid, st.StartTicks}] = struct {
			role string
			st   Stat
		}{role, st}
	}
	byArgv0 := map[string]string{}
	for _, r := range s.roles {
		if r.Argv0 != "" {
			byArgv0[r.Argv0] = r.Name
		}
		if r.PIDFile != "" {
			if pid, err := PIDFile(r.PIDFile); err == nil {
				add(pid, r.Name)
			}
		}
	}
	if len(byArgv0) > 0 {
		entries, _ := os.ReadDir(s.root)
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if role, ok := byArgv0[Argv0(filepath.Join(s.root, e.Name()))]; ok {
				add(pid, role)
			}
		}
	}

	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range s.procs {
		t.seenInLatestSample = false
	}
	for k, f := range found {
		t, ok := s.procs[k]
		if !ok {
			t = &tracked{role: f.role}
			if s.samples == 0 {
				t.baseCPU = f.st.CPUTicks
			}
			s.procs[k] = t
		}
		t.seenInLatestSample = true
		t.lastCPU, t.lastRSS = f.st.CPUTicks, f.st.RSSKiB
		t.peakRSS, t.peakHWM = max(t.peakRSS, f.st.RSSKiB), max(t.peakHWM, f.st.HWMKiB)
	}
	s.samples++
}

// Now returns, per role, the processes found by the last sample.
func (s *Sampler) Now() map[string]Now {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Now{}
	for _, t := range s.procs {
		if !t.seenInLatestSample {
			continue
		}
		n := out[t.role]
		n.Processes++
		n.MaxRSSKiB = max(n.MaxRSSKiB, t.lastRSS)
		out[t.role] = n
	}
	return out
}

// Totals returns, per role, what every sample so far saw.
func (s *Sampler) Totals() map[string]Total {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]Total{}
	for _, t := range s.procs {
		tot := out[t.role]
		tot.Processes++
		tot.PeakRSSKiB = max(tot.PeakRSSKiB, t.peakRSS)
		tot.PeakHWMKiB = max(tot.PeakHWMKiB, t.peakHWM)
		if t.lastCPU >= t.baseCPU {
			tot.CPUSeconds += CPUSeconds(t.lastCPU - t.baseCPU)
		}
		out[t.role] = tot
	}
	return out
}
