package main

import "time"

// kubeletTemplate is kubelet's configuration. The host runs cgroup v1, so
// kubelet uses the cgroupfs driver and must be told not to refuse v1; swap is
// tolerated. Eviction thresholds and image garbage collection are relaxed:
// images here are imported, never pulled, so kubelet must not delete them.
var kubeletTemplate = mustTemplate("kubelet.yaml", `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: "{{.HostIP}}"
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
tlsCertFile: "{{.PKI.CertFile "kubelet"}}"
tlsPrivateKeyFile: "{{.PKI.KeyFile "kubelet"}}"
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: true
  x509:
    clientCAFile: "{{.PKI.CertFile "ca"}}"
authorization:
  mode: Webhook
containerRuntimeEndpoint: "unix://{{.ContainerdSocket}}"
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
clusterDNS:
- "{{.DNSAddress}}"
clusterDomain: "{{.ClusterDomain}}"
podCIDR: "{{.PodCIDR}}"
podLogsDir: "{{.Path "pod-logs"}}"
volumePluginDir: "{{.Path "kubelet" "volume-plugins"}}"
rotateCertificates: false
serverTLSBootstrap: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard:
  memory.available: "100Mi"
  nodefs.available: "1%"
  nodefs.inodesFree: "1%"
  imagefs.available: "1%"
  imagefs.inodesFree: "1%"
maxPods: 110
`)

// kubeletProcess is kubelet, with its root folder under the cluster root.
func kubeletProcess(cfg *Config) *Process {
	return &Process{
		Name:   kubeletName,
		Binary: cfg.Bin(kubeletName),
		Args: []string{
			"--config=" + cfg.Path("conf", "kubelet.yaml"),
			"--kubeconfig=" + kubeconfigPath(cfg, kubeletClientCert),
			"--root-dir=" + cfg.Path(kubeletName),
			"--cert-dir=" + cfg.Path(kubeletName, "pki"),
			"--hostname-override=" + cfg.NodeName,
			"--node-ip=" + cfg.HostIP.String(),
			logLevel,
		},
		StopTimeout: 20 * time.Second,
	}
}
