package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// cgroupRoot is where the cgroup v1 hierarchies (and the v2 "unified" one)
// are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// ownedCgroups are the top-level cgroups kubelet (kubepods) and containerd
// (k8s.io) create in every hierarchy.
var ownedCgroups = []string{"kubepods", "k8s.io"}

// RemoveCgroups removes the empty owned cgroups in every hierarchy, deepest
// first. A cgroup that still has processes cannot be removed; that is
// reported, not forced.
func RemoveCgroups() error {
	hierarchies, err := os.ReadDir(cgroupRoot)
	if err != nil {
		return fmt.Errorf("list cgroup hierarchies: %w", err)
	}
	var dirs []string
	for _, h := range hierarchies {
		for _, name := range ownedCgroups {
			top := filepath.Join(cgroupRoot, h.Name(), name)
			if fi, err := os.Lstat(top); err != nil || !fi.IsDir() {
				continue
			}
			_ = filepath.WalkDir(top, func(path string, d fs.DirEntry, err error) error {
				if err == nil && d.IsDir() {
					dirs = append(dirs, path)
				}
				return nil
			})
		}
	}
	sort.Slice(dirs, func(i, j int) bool {
		return strings.Count(dirs[i], "/") > strings.Count(dirs[j], "/")
	})
	var errs []error
	for _, d := range dirs {
		if err := syscall.Rmdir(d); err != nil && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("remove cgroup %s: %w", d, err))
		}
	}
	if len(dirs) > 0 {
		slog.Info("removed cgroups", "count", len(dirs)-len(errs))
	}
	return errors.Join(errs...)
}
