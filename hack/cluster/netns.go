package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// netnsDirs are where containerd's CRI plugin pins pod network namespaces.
var netnsDirs = []string{"/run/netns/", "/var/run/netns/"}

// containerInfo is the part of `ctr containers info` that names a
// container's network namespace.
type containerInfo struct {
	Spec struct {
		Linux struct {
			Namespaces []struct {
				Type string `json:"type"`
				Path string `json:"path"`
			} `json:"namespaces"`
		} `json:"linux"`
	} `json:"Spec"`
}

// podNetns lists the network namespace files of the pods in the cluster's
// containerd that still exist. Normally kubelet removes them when it stops a
// pod; they are left when kubelet died before down ran.
func podNetns(ctx context.Context, cfg *Config) []string {
	if _, ok := containerdProcess(cfg).Running(cfg); !ok {
		return nil
	}
	out, err := ctr(ctx, cfg, "containers", "list", "--quiet")
	if err != nil {
		slog.Warn("list containers", "err", err)
		return nil
	}
	seen := map[string]bool{}
	var paths []string
	for _, id := range strings.Fields(out) {
		info, err := ctr(ctx, cfg, "containers", "info", id)
		if err != nil {
			continue
		}
		var c containerInfo
		if err := json.Unmarshal([]byte(info), &c); err != nil {
			continue
		}
		for _, ns := range c.Spec.Linux.Namespaces {
			if ns.Type == "network" && isNetnsFile(ns.Path) && !seen[ns.Path] && exists(ns.Path) {
				seen[ns.Path] = true
				paths = append(paths, ns.Path)
			}
		}
	}
	return paths
}

func isNetnsFile(path string) bool {
	for _, dir := range netnsDirs {
		if strings.HasPrefix(path, dir) && filepath.Dir(path)+"/" == dir {
			return true
		}
	}
	return false
}

// removeNetns unpins the given network namespaces (an unmount and a remove
// each); the kernel then deletes them with their veth links.
func removeNetns(paths []string) error {
	var errs []error
	for _, p := range paths {
		if err := syscall.Unmount(p, syscall.MNT_DETACH); err != nil && !errors.Is(err, syscall.EINVAL) && !errors.Is(err, syscall.ENOENT) {
			errs = append(errs, fmt.Errorf("unmount %s: %w", p, err))
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove %s: %w", p, err))
			continue
		}
		slog.Info("removed leftover pod network namespace", "path", p)
	}
	return errors.Join(errs...)
}
