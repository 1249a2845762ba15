// Package proc reads the memory and CPU time of processes from a /proc
// file system: the local cluster runs its control plane and its pods'
// containers as processes of the host that runs the benchmark.
package proc

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// ClockTicks is USER_HZ, the unit of the CPU times in /proc/<pid>/stat:
// 100 on every Linux architecture Go supports.
const ClockTicks = 100

// Stat is one reading of one process.
type Stat struct {
	// RSSKiB is the resident set now (VmRSS); HWMKiB its peak over the
	// process's life (VmHWM).
	RSSKiB, HWMKiB int64
	// CPUTicks is the user plus system CPU time, in ClockTicks.
	CPUTicks uint64
	// StartTicks is when the process started, in ticks after boot; with
	// the PID it names one process even if the PID is reused.
	StartTicks uint64
}

// CPUSeconds converts ticks to seconds.
func CPUSeconds(ticks uint64) float64 { return float64(ticks) / ClockTicks }

// Read reads the process whose /proc folder is dir.
func Read(dir string) (Stat, error) {
	status, err := os.ReadFile(filepath.Join(dir, "status"))
	if err != nil {
		return Stat{}, err
	}
	stat, err := os.ReadFile(filepath.Join(dir, "stat"))
	if err != nil {
		return Stat{}, err
	}
	var s Stat
	if s.RSSKiB, s.HWMKiB, err = ParseStatus(status); err != nil {
		return Stat{}, fmt.Errorf("%s/status: %w", dir, err)
	}
	if s.CPUTicks, s.StartTicks, err = ParseStat(stat); err != nil {
		return Stat{}, fmt.Errorf("%s/stat: %w", dir, err)
	}
	return s, nil
}

// ParseStatus returns the VmRSS and VmHWM lines of /proc/<pid>/status, in
// KiB. A kernel thread has neither: that is an error.
func ParseStatus(b []byte) (rssKiB, hwmKiB int64, err error) {
	var haveRSS, haveHWM bool
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		key, value, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmRSS" && key != "VmHWM") {
			continue
		}
		fields := strings.Fields(value)
		if len(fields) != 2 || fields[1] != "kB" {
			return 0, 0, fmt.Errorf("%s: %q is not a size in kB", key, value)
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil || n < 0 {
			return 0, 0, fmt.Errorf("%s: %q is not a size in kB", key, value)
		}
		if key == "VmRSS" {
			rssKiB, haveRSS = n, true
		} else {
			hwmKiB, haveHWM = n, true
		}
	}
	if !haveRSS || !haveHWM {
		return 0, 0, errors.New("no VmRSS and VmHWM (a kernel thread?)")
	}
	return rssKiB, hwmKiB, nil
}

// ParseStat returns utime+stime (fields 14 and 15) and starttime (field
// 22) of /proc/<pid>/stat. The command name (field 2) is in parentheses
// and may hold spaces and parentheses itself, so fields are counted from
// the last ')'.
func ParseStat(b []byte) (cpuTicks, startTicks uint64, err error) {
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("no command name")
	}
	// After ")": field 3 (state) is rest[0].
	rest := strings.Fields(string(b[i+1:]))
	const utime, stime, starttime = 14 - 3, 15 - 3, 22 - 3
	if len(rest) <= starttime {
		return 0, 0, fmt.Errorf("%d fields after the command name, want more than %d", len(rest), starttime)
	}
	var v [3]uint64
	for j, f := range []int{utime, stime, starttime} {
		if v[j], err = strconv.ParseUint(rest[f], 10, 64); err != nil {
			return 0, 0, fmt.Errorf("field %d: %w", f+3, err)
		}
	}
	return v[0] + v[1], v[2], nil
}

// Argv0 returns the first argument of the process's command line, or ""
// when it cannot be read (a kernel thread, a process that has exited).
func Argv0(dir string) string {
	b, err := os.ReadFile(filepath.Join(dir, "cmdline"))
	if err != nil {
		return ""
	}
	first, _, _ := bytes.Cut(b, []byte{0})
	return string(first)
}

// PIDFile reads a PID file: one decimal number, optionally followed by a
// newline.
func PIDFile(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || pid <= 0 {
		return 0, fmt.Errorf("%s: %q is not a PID", path, b)
	}
	return pid, nil
}
