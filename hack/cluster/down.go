package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Down stops exactly the processes up started (by PID file), after deleting
// every pod so kubelet stops its containers, and removes the cluster's traces
// from the host: iptables chains, mounts, the bridge, the lo address,
// cgroups and the cluster root. Every step runs even if an earlier one
// failed; the errors are reported together.
func Down(ctx context.Context, cfg *Config) error {
	start := time.Now()
	if !exists(cfg.Root) && !hasLoAddress(cfg.HostIP) {
		slog.Info("no cluster to stop", "root", cfg.Root)
		return nil
	}
	pki := &PKI{dir: cfg.Path("pki")}
	var errs []error
	note := func(err error) {
		if err != nil {
			slog.Warn("teardown step failed", "err", err)
			errs = append(errs, err)
		}
	}

	// Nothing may recreate or reschedule pods while they are deleted.
	note(controllerManagerProcess(cfg, pki).Stop(cfg))
	note(schedulerProcess(cfg).Stop(cfg))
	note(deleteAllPods(ctx, cfg, pki))

	for _, p := range []*Process{corednsProcess(cfg), kubeProxyProcess(cfg), kubeletProcess(cfg)} {
		note(p.Stop(cfg))
	}
	netns := podNetns(ctx, cfg)
	note(killLeftoverTasks(ctx, cfg))
	for _, p := range []*Process{containerdProcess(cfg), apiServerProcess(cfg, pki), etcdProcess(cfg)} {
		note(p.Stop(cfg))
	}
	note(killLeftoverShims(cfg))
	note(removeNetns(netns))

	note(KubeProxyCleanup(ctx, cfg))
	note(RemoveOwnedChains(ctx))
	note(UnmountUnder(cfg.Root))
	note(TeardownHostNetwork(ctx, cfg))
	note(RemoveCgroups())
	note(removeContainerLogLinks(cfg))
	note(removeCNICache())
	removeEmptyHostDirs()

	if len(errs) == 0 {
		if err := os.RemoveAll(cfg.Root); err != nil {
			note(fmt.Errorf("remove cluster root: %w", err))
		}
		if err := os.Remove(cfg.KubeconfigOut); err != nil && !errors.Is(err, os.ErrNotExist) {
			note(fmt.Errorf("remove kubeconfig: %w", err))
		}
	} else {
		slog.Warn("keeping the cluster root for inspection because a step failed", "root", cfg.Root)
	}
	if len(errs) > 0 {
		return fmt.Errorf("cluster down finished with errors: %w", errors.Join(errs...))
	}
	slog.Info("cluster is down", "took", time.Since(start).Round(100*time.Millisecond))
	return nil
}

// removeContainerLogLinks removes the links kubelet keeps in
// /var/log/containers that point into the cluster root.
func removeContainerLogLinks(cfg *Config) error {
	const dir = "/var/log/containers"
	entries, err := os.ReadDir(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list %s: %w", dir, err)
	}
	for _, e := range entries {
		link := filepath.Join(dir, e.Name())
		target, err := os.Readlink(link)
		if err != nil || !strings.HasPrefix(target, cfg.Root+"/") {
			continue
		}
		if err := os.Remove(link); err != nil {
			return fmt.Errorf("remove %s: %w", link, err)
		}
	}
	return nil
}

// removeCNICache removes libcni's cached results for the cluster's network
// and containerd's loopback network, which outlive a pod whose teardown did
// not finish.
func removeCNICache() error {
	for _, pattern := range []string{"/var/lib/cni/results/wake-*", "/var/lib/cni/results/cni-loopback-*"} {
		matches, _ := filepath.Glob(pattern)
		for _, m := range matches {
			if err := os.Remove(m); err != nil {
				return fmt.Errorf("remove %s: %w", m, err)
			}
		}
	}
	return nil
}

// sharedHostDirs are folders outside the root that containerd, CNI and
// kubelet create on first use. Down removes them only when empty, so nothing
// that another program keeps there is touched.
var sharedHostDirs = []string{
	"/run/containerd/s", "/run/containerd",
	"/run/netns",
	"/var/lib/cni/results", "/var/lib/cni",
	"/var/log/containers",
}

// removeEmptyHostDirs removes the sharedHostDirs that are empty.
func removeEmptyHostDirs() {
	for _, dir := range sharedHostDirs {
		if err := syscall.Rmdir(dir); err == nil {
			slog.Info("removed empty folder", "path", dir)
		}
	}
}
