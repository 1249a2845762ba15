package main

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// restartTimeout bounds the wait for a restarted component's health check.
const restartTimeout = time.Minute

// Restart stops one running component (SIGTERM, then SIGKILL after its
// StopTimeout) and starts it again exactly as up starts it, then waits for
// its health endpoint where it has one (kubelet, kube-proxy). Pods keep
// running while kubelet is down: their containerd shims do not depend on it.
// Fault tests use it (`wake-cluster restart kubelet`).
func Restart(ctx context.Context, cfg *Config, name string) error {
	return restart(ctx, cfg, allProcesses(cfg, &PKI{dir: cfg.Path("pki")}), name, healthChecks())
}

// healthChecks are the checks Restart waits on, by component name.
func healthChecks() map[string]func(context.Context) error {
	return map[string]func(context.Context) error{
		kubeletName:   httpOK("http://127.0.0.1:10248/healthz"),
		kubeProxyName: httpOK("http://127.0.0.1:10256/healthz"),
	}
}

// restart is Restart over the given processes and checks.
func restart(ctx context.Context, cfg *Config, procs []*Process, name string, checks map[string]func(context.Context) error) error {
	var names []string
	for _, p := range procs {
		names = append(names, p.Name)
		if p.Name != name {
			continue
		}
		if _, ok := p.Running(cfg); !ok {
			return fmt.Errorf("restart %s: it is not running (start the cluster with up)", name)
		}
		if err := p.Stop(cfg); err != nil {
			return err
		}
		if err := p.Start(cfg); err != nil {
			return err
		}
		if check, ok := checks[name]; ok {
			if err := waitFor(ctx, name, restartTimeout, check); err != nil {
				return withLog(err, p, cfg)
			}
		}
		return nil
	}
	return fmt.Errorf("restart: unknown component %q (one of %s)", name, strings.Join(names, ", "))
}
