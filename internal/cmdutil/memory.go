package cmdutil

import (
	"os"
	"runtime/debug"
	"strconv"

	"github.com/go-logr/logr"
)

// MemoryLimitEnv is the environment variable a Pod sets to its container's
// memory limit in bytes (the downward API's limits.memory).
const MemoryLimitEnv = "MEMORY_LIMIT"

// softLimitPercent is the share of the container's memory limit that the Go
// runtime's soft limit takes: the rest is for what the runtime does not
// count (stacks of exited goroutines, fragmentation) and for the garbage
// collector to catch up.
const softLimitPercent = 85

// SetMemoryLimit sets the Go runtime's soft memory limit to 85% of the
// container's (MemoryLimitEnv), unless GOMEMLIMIT is set, so that the
// garbage collector works harder near the limit instead of letting the heap
// double past it: wake-controller was OOM-killed at its 512 MiB limit with
// 10,000 Functions. It logs what it set and returns the limit, or 0 when it
// set none.
func SetMemoryLimit(log logr.Logger) int64 {
	limit, ok := softLimit(os.Getenv("GOMEMLIMIT"), os.Getenv(MemoryLimitEnv))
	if !ok {
		return 0
	}
	debug.SetMemoryLimit(limit)
	log.Info("set the Go runtime's soft memory limit", "bytes", limit, "percentOfContainerLimit", softLimitPercent)
	return limit
}

// softLimit returns the soft limit for a container limit of containerLimit
// bytes, and whether to set one: not when GOMEMLIMIT (gomemlimit) is set,
// or the container limit is missing or not a positive number.
func softLimit(gomemlimit, containerLimit string) (int64, bool) {
	if gomemlimit != "" {
		return 0, false
	}
	n, err := strconv.ParseInt(containerLimit, 10, 64)
	if err != nil || n <= 0 {
		return 0, false
	}
	return n / 100 * softLimitPercent, true
}
