package main

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Timeouts for stopping pods in down.
const (
	podDeleteTimeout = 60 * time.Second
	shimExitTimeout  = 30 * time.Second
)

// shimBinary is the containerd shim that parents every container.
const shimBinary = "/usr/bin/containerd-shim-runc-v2"

// deleteOptions is the body of a DELETE that sets the grace period.
type deleteOptions struct {
	APIVersion         string `json:"apiVersion"`
	Kind               string `json:"kind"`
	GracePeriodSeconds *int64 `json:"gracePeriodSeconds"`
}

type podList struct {
	Items []struct {
		Metadata struct{ Namespace, Name string }
	}
}

// deleteAllPods deletes every pod while kubelet still runs, so kubelet stops
// their containers and tears down their networks, then waits for the pods and
// their shims to be gone. Pods that outlast podDeleteTimeout are deleted
// with grace period 0.
func deleteAllPods(ctx context.Context, cfg *Config, pki *PKI) error {
	if _, ok := kubeletProcess(cfg).Running(cfg); !ok {
		return nil
	}
	api, err := NewAPIClient(cfg, pki)
	if err != nil || !apiReachable(ctx, api) {
		slog.Warn("API server unreachable: pods are not deleted through kubelet")
		return nil
	}
	if err := deletePods(ctx, api, nil); err != nil {
		return err
	}
	if err := waitFor(ctx, "all pods deleted", podDeleteTimeout, noPods(api)); err != nil {
		slog.Warn("pods still present, deleting them with grace period 0", "err", err)
		zero := int64(0)
		if err := deletePods(ctx, api, &zero); err != nil {
			return err
		}
	}
	return waitFor(ctx, "container shims exited", shimExitTimeout, func(context.Context) error {
		if pids := ourShims(cfg); len(pids) > 0 {
			return fmt.Errorf("%d shims still running", len(pids))
		}
		return nil
	})
}

func deletePods(ctx context.Context, api *APIClient, grace *int64) error {
	var pods podList
	if err := api.Do(ctx, http.MethodGet, "/api/v1/pods", nil, &pods); err != nil {
		return fmt.Errorf("list pods: %w", err)
	}
	var opts any
	if grace != nil {
		opts = deleteOptions{APIVersion: "v1", Kind: "DeleteOptions", GracePeriodSeconds: grace}
	}
	for _, p := range pods.Items {
		path := fmt.Sprintf("/api/v1/namespaces/%s/pods/%s", p.Metadata.Namespace, p.Metadata.Name)
		if err := api.Do(ctx, http.MethodDelete, path, opts, nil); err != nil && !IsStatus(err, http.StatusNotFound) {
			return fmt.Errorf("delete pod %s/%s: %w", p.Metadata.Namespace, p.Metadata.Name, err)
		}
	}
	if len(pods.Items) > 0 {
		slog.Info("deleting pods", "count", len(pods.Items))
	}
	return nil
}

func noPods(api *APIClient) func(context.Context) error {
	return func(ctx context.Context) error {
		var pods podList
		if err := api.Do(ctx, http.MethodGet, "/api/v1/pods", nil, &pods); err != nil {
			return err
		}
		if len(pods.Items) > 0 {
			return fmt.Errorf("%d pods left", len(pods.Items))
		}
		return nil
	}
}

// killLeftoverTasks kills and deletes, through containerd, the containers
// kubelet did not stop (for example when down runs after kubelet died).
func killLeftoverTasks(ctx context.Context, cfg *Config) error {
	if _, ok := containerdProcess(cfg).Running(cfg); !ok {
		return nil
	}
	out, err := ctr(ctx, cfg, "tasks", "list", "--quiet")
	if err != nil {
		return err
	}
	ids := strings.Fields(out)
	for _, id := range ids {
		slog.Info("killing leftover container", "id", id)
		_, _ = ctr(ctx, cfg, "tasks", "kill", "--all", "--signal", "SIGKILL", id)
	}
	// containerd deletes most killed tasks itself; delete the rest.
	for _, id := range ids {
		if _, err := ctr(ctx, cfg, "tasks", "delete", "--force", id); err != nil && !strings.Contains(err.Error(), "not found") {
			slog.Warn("delete leftover task", "id", id, "err", err)
		}
	}
	return nil
}

// ourShims lists the PIDs of shims serving the cluster's containerd (their
// command line names its socket).
func ourShims(cfg *Config) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || !isOurProcess(pid, shimBinary) {
			continue
		}
		cmdline, err := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		if err != nil {
			continue
		}
		if strings.Contains(string(cmdline), "\x00"+cfg.ContainerdSocket()+"\x00") {
			pids = append(pids, pid)
		}
	}
	return pids
}

// killLeftoverShims stops shims of the cluster's containerd that outlived it.
func killLeftoverShims(cfg *Config) error {
	for _, pid := range ourShims(cfg) {
		slog.Info("stopping leftover shim", "pid", pid)
		if err := signalAndWait(pid, shimBinary, 5*time.Second); err != nil {
			return fmt.Errorf("stop shim %d: %w", pid, err)
		}
	}
	return nil
}
