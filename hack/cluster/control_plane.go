package main

import (
	"fmt"
	"path/filepath"
	"time"
)

// etcdProcess is a single-member etcd on loopback. fsync is off: the cluster
// is disposable, and fsync on this shared disk slows every write.
func etcdProcess(cfg *Config) *Process {
	peer := fmt.Sprintf("http://127.0.0.1:%d", cfg.EtcdPeerPort)
	return &Process{
		Name:   etcdName,
		Binary: cfg.Bin(etcdName),
		Args: []string{
			"--name=wake",
			"--data-dir=" + cfg.Path(etcdName),
			"--listen-client-urls=" + cfg.EtcdURL(),
			"--advertise-client-urls=" + cfg.EtcdURL(),
			"--listen-peer-urls=" + peer,
			"--initial-advertise-peer-urls=" + peer,
			"--initial-cluster=wake=" + peer,
			"--unsafe-no-fsync=true",
			"--log-level=warn",
		},
	}
}

// apiServerProcess is kube-apiserver on HostIP, the address pods reach
// through the kubernetes Service.
func apiServerProcess(cfg *Config, p *PKI) *Process {
	return &Process{
		Name:   apiServerName,
		Binary: cfg.Bin(apiServerName),
		Args: []string{
			"--etcd-servers=" + cfg.EtcdURL(),
			"--bind-address=" + cfg.HostIP.String(),
			"--advertise-address=" + cfg.HostIP.String(),
			fmt.Sprintf("--secure-port=%d", cfg.APIPort),
			"--service-cluster-ip-range=" + cfg.ServiceCIDR.String(),
			"--cert-dir=" + cfg.Path("apiserver"),
			"--tls-cert-file=" + p.CertFile("apiserver"),
			"--tls-private-key-file=" + p.KeyFile("apiserver"),
			"--client-ca-file=" + p.CertFile("ca"),
			"--kubelet-client-certificate=" + p.CertFile("apiserver-kubelet-client"),
			"--kubelet-client-key=" + p.KeyFile("apiserver-kubelet-client"),
			"--kubelet-certificate-authority=" + p.CertFile("ca"),
			"--kubelet-preferred-address-types=InternalIP,Hostname",
			"--service-account-issuer=https://kubernetes.default.svc." + cfg.ClusterDomain,
			"--service-account-key-file=" + filepath.Join(cfg.Path("pki"), "sa.pub"),
			"--service-account-signing-key-file=" + p.KeyFile("sa"),
			"--authorization-mode=Node,RBAC",
			"--enable-admission-plugins=NodeRestriction",
			"--allow-privileged=true",
			"--profiling=false",
			logLevel,
		},
		StopTimeout: 20 * time.Second,
	}
}

// controllerManagerProcess is kube-controller-manager; it signs
// service-account tokens with the same key pair the API server verifies.
func controllerManagerProcess(cfg *Config, p *PKI) *Process {
	kubeconfig := kubeconfigPath(cfg, controllerManagerCert)
	return &Process{
		Name:   controllerManagerName,
		Binary: cfg.Bin(controllerManagerName),
		Args: []string{
			"--kubeconfig=" + kubeconfig,
			"--authentication-kubeconfig=" + kubeconfig,
			"--authorization-kubeconfig=" + kubeconfig,
			"--bind-address=127.0.0.1",
			"--secure-port=10257",
			"--cert-dir=" + cfg.Path("controller-manager"),
			"--leader-elect=false",
			"--use-service-account-credentials=true",
			"--service-account-private-key-file=" + p.KeyFile("sa"),
			"--root-ca-file=" + p.CertFile("ca"),
			"--cluster-signing-cert-file=" + p.CertFile("ca"),
			"--cluster-signing-key-file=" + p.KeyFile("ca"),
			"--service-cluster-ip-range=" + cfg.ServiceCIDR.String(),
			"--cluster-cidr=" + cfg.PodCIDR.String(),
			"--allocate-node-cidrs=false",
			// Each controller's client defaults to 20 requests/s: with
			// 1,000 new Deployments (make bench-scale) its Deployment
			// queue grew to 393 and its clients waited 4 s per second on
			// their own limiters. Clusters with thousands of workloads
			// raise them too.
			"--kube-api-qps=100",
			"--kube-api-burst=200",
			// Five workers each (the default) for Deployments and
			// ReplicaSets: with 10,000 new Deployments (make bench-scale
			// N=10000) the Deployment queue peaked at 6,820, each worker
			// mostly waiting on the API server. Raised as clusters with
			// thousands of workloads raise them.
			"--concurrent-deployment-syncs=20",
			"--concurrent-replicaset-syncs=20",
			"--concurrent-service-endpoint-syncs=20",
			logLevel,
		},
	}
}

// schedulerProcess is kube-scheduler.
func schedulerProcess(cfg *Config) *Process {
	kubeconfig := kubeconfigPath(cfg, schedulerCert)
	return &Process{
		Name:   schedulerName,
		Binary: cfg.Bin(schedulerName),
		Args: []string{
			"--kubeconfig=" + kubeconfig,
			"--authentication-kubeconfig=" + kubeconfig,
			"--authorization-kubeconfig=" + kubeconfig,
			"--bind-address=127.0.0.1",
			"--secure-port=10259",
			"--leader-elect=false",
			logLevel,
		},
	}
}

// allProcesses lists every component in start order; down stops them in
// reverse.
func allProcesses(cfg *Config, p *PKI) []*Process {
	return []*Process{
		etcdProcess(cfg),
		apiServerProcess(cfg, p),
		controllerManagerProcess(cfg, p),
		schedulerProcess(cfg),
		containerdProcess(cfg),
		kubeletProcess(cfg),
		kubeProxyProcess(cfg),
		corednsProcess(cfg),
	}
}
