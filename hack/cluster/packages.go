package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"strings"
)

// hostPackage is a Debian package and files of it the cluster needs.
type hostPackage struct {
	Name  string
	Files []string
}

// hostPackages lists what the cluster needs from Debian. runc must be
// Debian's: one built from its Go module lacks seccomp support and fails
// every pod.
var hostPackages = []hostPackage{
	{Name: "containerd", Files: []string{"/usr/bin/containerd", "/usr/bin/ctr", "/usr/bin/containerd-shim-runc-v2"}},
	{Name: "runc", Files: []string{"/usr/sbin/runc"}},
	{Name: "containernetworking-plugins", Files: []string{"/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap", "/usr/lib/cni/loopback"}},
	{Name: "conntrack", Files: []string{"/usr/sbin/conntrack"}},
	{Name: "iptables", Files: []string{"/usr/sbin/iptables", "/usr/sbin/iptables-save", "/usr/sbin/ip6tables", "/usr/sbin/ip6tables-save"}},
	{Name: "iproute2", Files: []string{"/usr/sbin/ip"}},
}

// EnsurePackages installs the Debian packages whose files are missing. It
// runs apt-get update only if the first install fails.
func EnsurePackages(ctx context.Context, skip bool) error {
	missing := missingPackages()
	if len(missing) == 0 {
		return nil
	}
	if skip {
		return fmt.Errorf("missing Debian packages %s (and -skip-install is set)", strings.Join(missing, " "))
	}
	slog.Info("installing Debian packages", "packages", strings.Join(missing, " "))
	install := append([]string{"install", "-y", "--no-install-recommends"}, missing...)
	if err := aptGet(ctx, install...); err != nil {
		slog.Info("install failed, refreshing package lists and retrying", "err", err)
		if err := aptGet(ctx, "update"); err != nil {
			return err
		}
		if err := aptGet(ctx, install...); err != nil {
			return err
		}
	}
	if still := missingPackages(); len(still) > 0 {
		return fmt.Errorf("files of %s still missing after apt-get install", strings.Join(still, " "))
	}
	return nil
}

// missingPackages lists the packages with at least one missing file.
func missingPackages() []string {
	var missing []string
	for _, p := range hostPackages {
		for _, f := range p.Files {
			if !exists(f) {
				missing = append(missing, p.Name)
				break
			}
		}
	}
	return missing
}

func aptGet(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, "apt-get", args...)
	cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("apt-get %s: %w: %s", strings.Join(args, " "), err, lastLines(string(out), 10))
	}
	return nil
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
