package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"time"
)

// Timeouts for the steps of up. The first API server start on two busy cores
// takes the longest.
const (
	etcdTimeout      = 60 * time.Second
	apiServerTimeout = 3 * time.Minute
	nodeTimeout      = 3 * time.Minute
	dnsTimeout       = 2 * time.Minute
)

// Up starts every component that is not running yet, waits until the node is
// Ready, Services resolve and ClusterIPs route, and writes the admin
// kubeconfig.
func Up(ctx context.Context, cfg *Config) error {
	start := time.Now()
	slog.Info("bringing the cluster up", "root", cfg.Root)
	pki, err := prepareHost(ctx, cfg)
	if err != nil {
		return err
	}
	api, err := NewAPIClient(cfg, pki)
	if err != nil {
		return err
	}
	if err := startControlPlane(ctx, cfg, pki, api); err != nil {
		return err
	}
	if err := startNode(ctx, cfg); err != nil {
		return err
	}
	if err := waitUsable(ctx, cfg, pki, api); err != nil {
		return err
	}
	if err := WriteKubeconfig(cfg, pki, adminCert, cfg.KubeconfigOut); err != nil {
		return err
	}
	slog.Info("cluster is up", "took", time.Since(start).Round(100*time.Millisecond), "kubeconfig", cfg.KubeconfigOut)
	fmt.Printf(`
Cluster is up (node %s, API %s).
  export KUBECONFIG=%s
  kubectl get nodes            # kubectl is in bin/
  make images                  # build wake/<name>:dev images and import them (use imagePullPolicy: Never)
Logs: %s/logs/<component>.log   Stop it: make cluster-down
`, cfg.NodeName, cfg.APIServerURL(), cfg.KubeconfigOut, cfg.Root)
	return nil
}

// prepareHost installs missing packages, creates the folders (those of
// hostPath volumes for their pods' users), the lo address, the PKI, the
// kubeconfigs and every configuration file.
func prepareHost(ctx context.Context, cfg *Config) (*PKI, error) {
	if err := EnsurePackages(ctx, cfg.SkipInstall); err != nil {
		return nil, err
	}
	for _, dir := range []string{"conf", "logs", "run", etcdName, containerdName, "cni/ipam", kubeletName, "pod-logs"} {
		if err := os.MkdirAll(cfg.Path(dir), 0o755); err != nil {
			return nil, fmt.Errorf("create %s: %w", dir, err)
		}
	}
	if err := EnsureHostVolumes(cfg, hostVolumes); err != nil {
		return nil, err
	}
	if err := SetupHostNetwork(ctx, cfg); err != nil {
		return nil, err
	}
	pki, err := EnsurePKI(cfg)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{adminCert, kubeletClientCert, controllerManagerCert, schedulerCert, kubeProxyName, corednsName} {
		if err := WriteKubeconfig(cfg, pki, name, kubeconfigPath(cfg, name)); err != nil {
			return nil, err
		}
	}
	if err := WriteConfigFiles(cfg, pki); err != nil {
		return nil, err
	}
	return pki, nil
}

// startControlPlane starts etcd and kube-apiserver, waits for both, creates
// the RBAC objects, and starts the controller manager and scheduler.
func startControlPlane(ctx context.Context, cfg *Config, pki *PKI, api *APIClient) error {
	if err := startAndWait(ctx, cfg, etcdProcess(cfg), etcdTimeout, httpOK(cfg.EtcdURL()+"/health")); err != nil {
		return err
	}
	if err := startAndWait(ctx, cfg, apiServerProcess(cfg, pki), apiServerTimeout, apiOK(api, "/readyz")); err != nil {
		return err
	}
	if err := EnsureRBAC(ctx, api); err != nil {
		return err
	}
	for _, p := range []*Process{controllerManagerProcess(cfg, pki), schedulerProcess(cfg)} {
		if err := p.Start(cfg); err != nil {
			return err
		}
	}
	return nil
}

// startNode starts containerd, imports the pause image, and starts kubelet,
// kube-proxy and CoreDNS.
func startNode(ctx context.Context, cfg *Config) error {
	containerdUp := func(ctx context.Context) error {
		_, err := ctr(ctx, cfg, "version")
		return err
	}
	if err := startAndWait(ctx, cfg, containerdProcess(cfg), etcdTimeout, containerdUp); err != nil {
		return err
	}
	if err := ImportPauseImage(ctx, cfg); err != nil {
		return err
	}
	for _, p := range []*Process{kubeletProcess(cfg), kubeProxyProcess(cfg), corednsProcess(cfg)} {
		if err := p.Start(cfg); err != nil {
			return err
		}
	}
	return nil
}

// waitUsable waits until pods can be created and reach Services by name:
// the node is Ready, the default service account exists, CoreDNS answers and
// kube-proxy routes the kubernetes Service's ClusterIP.
func waitUsable(ctx context.Context, cfg *Config, pki *PKI, api *APIClient) error {
	viaService, err := newClient(fmt.Sprintf("https://%s:443", cfg.KubernetesServiceIP), pki, adminCert)
	if err != nil {
		return err
	}
	waits := []struct {
		what    string
		timeout time.Duration
		check   func(context.Context) error
		blame   *Process
	}{
		{"node " + cfg.NodeName, nodeTimeout, nodeReady(api, cfg.NodeName), kubeletProcess(cfg)},
		{"default service account", nodeTimeout, apiOK(api, "/api/v1/namespaces/default/serviceaccounts/default"), controllerManagerProcess(cfg, pki)},
		{"DNS", dnsTimeout, dnsAnswers(cfg), corednsProcess(cfg)},
		{"kubernetes Service ClusterIP", dnsTimeout, apiOK(viaService, "/readyz"), kubeProxyProcess(cfg)},
	}
	for _, w := range waits {
		if err := waitFor(ctx, w.what, w.timeout, w.check); err != nil {
			return withLog(err, w.blame, cfg)
		}
	}
	return nil
}

// startAndWait starts p and polls check until it passes.
func startAndWait(ctx context.Context, cfg *Config, p *Process, timeout time.Duration, check func(context.Context) error) error {
	if err := p.Start(cfg); err != nil {
		return err
	}
	if err := waitFor(ctx, p.Name, timeout, check); err != nil {
		return withLog(err, p, cfg)
	}
	return nil
}

// withLog adds the last lines of a component's log to err.
func withLog(err error, p *Process, cfg *Config) error {
	data, readErr := os.ReadFile(p.LogFile(cfg))
	if readErr != nil {
		return err
	}
	return fmt.Errorf("%w\nlast lines of %s:\n%s", err, p.LogFile(cfg), lastLines(string(data), 15))
}

// Status prints each component and whether it runs; it returns errStopped
// when any is stopped.
func Status(cfg *Config) error {
	pki := &PKI{dir: cfg.Path("pki")}
	var err error
	for _, p := range allProcesses(cfg, pki) {
		if pid, ok := p.Running(cfg); ok {
			fmt.Printf("%-24s running  pid %d  log %s\n", p.Name, pid, p.LogFile(cfg))
		} else {
			fmt.Printf("%-24s stopped\n", p.Name)
			err = errStopped
		}
	}
	if exists(cfg.KubeconfigOut) {
		fmt.Printf("kubeconfig: %s\n", cfg.KubeconfigOut)
	}
	return err
}

// errStopped is Status's answer when a component is not running.
var errStopped = errors.New("a cluster component is stopped")

// apiReachable reports whether the API server answers /readyz now.
func apiReachable(ctx context.Context, api *APIClient) bool {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	return api.Do(ctx, http.MethodGet, "/readyz", nil, nil) == nil
}
