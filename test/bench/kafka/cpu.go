//go:build e2e

package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/wakefn/wake/test/bench/internal/proc"
)

// roleBench is this process, the load generator and reply reader.
const roleBench = "bench"

// cpuRoles are the processes whose CPU time a throughput lane reports:
// the cluster's pods run as processes of this host; all but the last are
// the image /ko-app/<role>.
var cpuRoles = []string{"dispatcher", "broker", "activator", "cereply", roleBench}

// cpuMeter measures the CPU time of cpuRoles and the host's busy share
// over a lane.
type cpuMeter struct {
	s           *proc.Sampler
	busy, total uint64
	busyErr     error
}

// startCPU takes the first readings.
func startCPU() *cpuMeter {
	roles := make([]proc.Role, 0, len(cpuRoles))
	for _, r := range cpuRoles[:len(cpuRoles)-1] {
		roles = append(roles, proc.Role{Name: r, Argv0: "/ko-app/" + r})
	}
	roles = append(roles, proc.Role{Name: roleBench, Argv0: proc.Argv0("/proc/self")})
	m := &cpuMeter{s: proc.NewSampler("/proc", roles...)}
	m.s.Sample()
	m.busy, m.total, m.busyErr = hostCPU()
	return m
}

// stop takes the last readings and returns the CPU seconds by role and
// the host's busy share of all its cores (0 when /proc/stat is unreadable).
func (m *cpuMeter) stop() (map[string]float64, float64) {
	m.s.Sample()
	out := map[string]float64{}
	for role, t := range m.s.Totals() {
		out[role] = t.CPUSeconds
	}
	busy, total, err := hostCPU()
	if err != nil || m.busyErr != nil || total <= m.total {
		return out, 0
	}
	return out, float64(busy-m.busy) / float64(total-m.total)
}

// hostCPU reads the busy (all but idle and iowait) and total ticks of all
// cores from /proc/stat.
func hostCPU() (busy, total uint64, err error) {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0, 0, err
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[0] != "cpu" {
		return 0, 0, fmt.Errorf("/proc/stat: unexpected first line %q", line)
	}
	for i, f := range fields[1:] {
		v, err := strconv.ParseUint(f, 10, 64)
		if err != nil {
			return 0, 0, fmt.Errorf("/proc/stat: %w", err)
		}
		if i >= 8 { // guest and guest_nice are already in user and nice
			break
		}
		total += v
		if i != 3 && i != 4 { // idle, iowait
			busy += v
		}
	}
	return busy, total, nil
}
