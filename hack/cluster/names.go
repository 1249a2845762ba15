package main

// Component names. Each names a component's process, log file and PID file,
// its state folder under the root where it has one, and, for components that
// talk to the API server, its certificate and kubeconfig.
const (
	etcdName              = "etcd"
	apiServerName         = "kube-apiserver"
	controllerManagerName = "kube-controller-manager"
	schedulerName         = "kube-scheduler"
	containerdName        = "containerd"
	kubeletName           = "kubelet"
	kubeProxyName         = "kube-proxy"
	corednsName           = "coredns"
)

// Certificate names (pki/<name>.crt) that are not component names.
const (
	adminCert             = "admin"
	kubeletClientCert     = "kubelet-client"
	controllerManagerCert = "controller-manager"
	schedulerCert         = "scheduler"
)

// logLevel is the klog verbosity of the Kubernetes components.
const logLevel = "--v=1"
