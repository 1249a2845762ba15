package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"strings"
)

// ipForwardSysctl is the sysctl that lets the host route between the pod
// bridge and its own addresses (ClusterIPs that DNAT to other pods).
const ipForwardSysctl = "/proc/sys/net/ipv4/ip_forward"

// SetupHostNetwork adds HostIP to lo (the address kube-apiserver, kubelet
// and CoreDNS listen on, and that pods reach through their gateway) and turns
// on IPv4 forwarding, remembering the old value for down.
func SetupHostNetwork(ctx context.Context, cfg *Config) error {
	if !hasLoAddress(cfg.HostIP) {
		if err := ipCmd(ctx, "addr", "add", cfg.HostIP.String()+"/32", "dev", "lo"); err != nil {
			return fmt.Errorf("add cluster address to lo: %w", err)
		}
		slog.Info("added address to lo", "address", cfg.HostIP)
	}
	old, err := os.ReadFile(ipForwardSysctl)
	if err != nil {
		return fmt.Errorf("read ip_forward: %w", err)
	}
	saved := cfg.Path("run", "ip_forward.orig")
	if !exists(saved) {
		if err := os.MkdirAll(cfg.Path("run"), 0o755); err != nil {
			return fmt.Errorf("save ip_forward: %w", err)
		}
		if err := os.WriteFile(saved, old, 0o644); err != nil {
			return fmt.Errorf("save ip_forward: %w", err)
		}
	}
	if strings.TrimSpace(string(old)) != "1" {
		if err := os.WriteFile(ipForwardSysctl, []byte("1\n"), 0o644); err != nil {
			return fmt.Errorf("enable ip_forward: %w", err)
		}
	}
	if v, err := os.ReadFile("/proc/sys/net/bridge/bridge-nf-call-iptables"); err != nil || strings.TrimSpace(string(v)) != "1" {
		slog.Warn("bridge-nf-call-iptables is not 1: pods may not reach ClusterIPs of pods on the same bridge")
	}
	return nil
}

// TeardownHostNetwork removes the CNI bridge and the lo address and restores
// ip_forward.
func TeardownHostNetwork(ctx context.Context, cfg *Config) error {
	var errs []error
	if _, err := net.InterfaceByName(cfg.BridgeName); err == nil {
		if err := ipCmd(ctx, "link", "delete", cfg.BridgeName); err != nil {
			errs = append(errs, fmt.Errorf("delete bridge: %w", err))
		} else {
			slog.Info("deleted bridge", "link", cfg.BridgeName)
		}
	}
	if hasLoAddress(cfg.HostIP) {
		if err := ipCmd(ctx, "addr", "del", cfg.HostIP.String()+"/32", "dev", "lo"); err != nil {
			errs = append(errs, fmt.Errorf("remove lo address: %w", err))
		} else {
			slog.Info("removed address from lo", "address", cfg.HostIP)
		}
	}
	saved := cfg.Path("run", "ip_forward.orig")
	if old, err := os.ReadFile(saved); err == nil {
		if err := os.WriteFile(ipForwardSysctl, old, 0o644); err != nil {
			errs = append(errs, fmt.Errorf("restore ip_forward: %w", err))
		}
	}
	return errors.Join(errs...)
}

func hasLoAddress(ip net.IP) bool {
	lo, err := net.InterfaceByName("lo")
	if err != nil {
		return false
	}
	addrs, err := lo.Addrs()
	if err != nil {
		return false
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.Equal(ip) {
			return true
		}
	}
	return false
}

func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}
