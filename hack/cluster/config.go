package main

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
)

// Config describes one local cluster: where its files live and which
// addresses it uses.
//
// Layout under Root:
//
//	pki/            CA, serving and client certificates, service-account keys
//	conf/           kubeconfigs and the configuration file of each component
//	etcd/           etcd data
//	containerd/     containerd root, state, runc state and containerd.sock
//	cni/            CNI network configuration and host-local IPAM state
//	kubelet/        kubelet root folder (pods, volumes, plugins)
//	pod-logs/       container logs written by kubelet
//	logs/           one log file per component (etcd.log, kubelet.log, ...)
//	run/            one PID file per component that up started
type Config struct {
	// Root holds everything the cluster writes.
	Root string
	// BinDir holds the component binaries.
	BinDir string
	// KubeconfigOut is where the admin kubeconfig is written for users.
	KubeconfigOut string
	// PauseImageTar is the tarball of the sandbox image imported into containerd.
	PauseImageTar string
	// PauseImage is the sandbox image's name as containerd stores it.
	PauseImage string
	// SkipInstall disables installing missing Debian packages.
	SkipInstall bool

	// NodeName is the name of the only node.
	NodeName string
	// HostIP is the address up adds to lo. kube-apiserver, kubelet and
	// CoreDNS listen on it, and pods reach it through their gateway.
	HostIP net.IP
	// APIPort is kube-apiserver's secure port on HostIP.
	APIPort int
	// PodCIDR is the pod network, served by one CNI bridge.
	PodCIDR *net.IPNet
	// PodGateway is the bridge's address inside PodCIDR.
	PodGateway net.IP
	// ServiceCIDR is the ClusterIP range.
	ServiceCIDR *net.IPNet
	// KubernetesServiceIP is the ClusterIP of the default/kubernetes Service.
	KubernetesServiceIP net.IP
	// BridgeName is the CNI bridge link.
	BridgeName string
	// ClusterDomain is the DNS domain of Services.
	ClusterDomain string
	// EtcdClientPort and EtcdPeerPort are etcd's ports on 127.0.0.1.
	EtcdClientPort, EtcdPeerPort int
}

// DefaultConfig returns the configuration `make cluster-up` uses.
func DefaultConfig() *Config {
	_, podCIDR, _ := net.ParseCIDR("10.244.0.0/16")
	_, svcCIDR, _ := net.ParseCIDR("10.96.0.0/16")
	return &Config{
		Root:                "/var/lib/wake-cluster",
		BinDir:              "bin",
		KubeconfigOut:       "bin/kubeconfig",
		PauseImageTar:       "bin/images/pause.tar",
		PauseImage:          "docker.io/wake/pause:dev",
		NodeName:            "wake-node",
		HostIP:              net.ParseIP("10.250.0.1").To4(),
		APIPort:             6443,
		PodCIDR:             podCIDR,
		PodGateway:          net.ParseIP("10.244.0.1").To4(),
		ServiceCIDR:         svcCIDR,
		KubernetesServiceIP: net.ParseIP("10.96.0.1").To4(),
		BridgeName:          "wake0",
		ClusterDomain:       "cluster.local",
		EtcdClientPort:      23790,
		EtcdPeerPort:        23800,
	}
}

// Resolve makes the paths absolute and checks them.
func (c *Config) Resolve() error {
	c.Root = absPath(c.Root)
	c.BinDir = absPath(c.BinDir)
	c.KubeconfigOut = absPath(c.KubeconfigOut)
	c.PauseImageTar = absPath(c.PauseImageTar)
	if c.Root == "/" || len(c.Root) < 5 {
		return fmt.Errorf("refusing cluster root %q: too close to /", c.Root)
	}
	if _, err := os.Stat(c.BinDir); err != nil {
		return fmt.Errorf("binary folder: %w", err)
	}
	return nil
}

// Path joins elements under Root.
func (c *Config) Path(elem ...string) string {
	return filepath.Join(append([]string{c.Root}, elem...)...)
}

// Bin returns the path of a built binary.
func (c *Config) Bin(name string) string { return filepath.Join(c.BinDir, name) }

// APIServerURL is the URL clients (and pods, through the kubernetes Service)
// use to reach kube-apiserver.
func (c *Config) APIServerURL() string {
	return fmt.Sprintf("https://%s:%d", c.HostIP, c.APIPort)
}

// EtcdURL is etcd's client URL.
func (c *Config) EtcdURL() string {
	return fmt.Sprintf("http://127.0.0.1:%d", c.EtcdClientPort)
}

// ContainerdSocket is the containerd endpoint kubelet and ctr use.
func (c *Config) ContainerdSocket() string { return c.Path(containerdName, "containerd.sock") }

// DNSAddress is where CoreDNS answers, and what kubelet gives pods as their
// nameserver.
func (c *Config) DNSAddress() string { return c.HostIP.String() }
