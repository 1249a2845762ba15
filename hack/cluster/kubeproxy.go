package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// kubeProxyTemplate runs kube-proxy in iptables mode. Conntrack limits and
// timeouts are left as the host has them (0 means "do not set"), and
// localhost NodePorts are off so kube-proxy does not set route_localnet.
var kubeProxyTemplate = mustTemplate("kube-proxy.yaml", `apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
clientConnection:
  kubeconfig: "{{.Path "conf" "kube-proxy.kubeconfig"}}"
mode: iptables
clusterCIDR: "{{.PodCIDR}}"
hostnameOverride: "{{.NodeName}}"
bindAddress: "{{.HostIP}}"
healthzBindAddress: "127.0.0.1:10256"
metricsBindAddress: "127.0.0.1:10249"
nodePortAddresses:
- "{{.HostIP}}/32"
iptables:
  localhostNodePorts: false
  masqueradeAll: false
conntrack:
  maxPerCore: 0
  min: 0
  tcpEstablishedTimeout: 0s
  tcpCloseWaitTimeout: 0s
`)

// kubeProxyProcess is kube-proxy with the configuration above.
func kubeProxyProcess(cfg *Config) *Process {
	return &Process{
		Name:   kubeProxyName,
		Binary: cfg.Bin(kubeProxyName),
		Args:   []string{"--config=" + cfg.Path("conf", "kube-proxy.yaml"), logLevel},
	}
}

// KubeProxyCleanup removes the iptables chains kube-proxy created.
func KubeProxyCleanup(ctx context.Context, cfg *Config) error {
	if !exists(cfg.Bin(kubeProxyName)) {
		return nil
	}
	out, err := exec.CommandContext(ctx, cfg.Bin(kubeProxyName), "--cleanup").CombinedOutput()
	if err != nil {
		return fmt.Errorf("kube-proxy --cleanup: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}
