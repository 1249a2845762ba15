package main

// corednsUser is the user name in CoreDNS's client certificate; rbac.go
// grants it read access to what the kubernetes plugin watches.
const corednsUser = "wake:coredns"

// corefileTemplate serves the cluster domain (and reverse lookups of pods and
// Services) from the API. It has no upstream: names outside the cluster are
// refused, so nothing leaves the machine.
var corefileTemplate = mustTemplate("Corefile", `{{.ClusterDomain}}:53 in-addr.arpa:53 ip6.arpa:53 {
    bind {{.DNSAddress}}
    errors
    ready 127.0.0.1:18181
    health 127.0.0.1:18080
    kubernetes {{.ClusterDomain}} in-addr.arpa ip6.arpa {
        kubeconfig {{.Path "conf" "coredns.kubeconfig"}} wake
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 5
    }
    cache 5
    loadbalance
}
`)

// corednsProcess is CoreDNS running on the host (not as a pod) and listening
// on the host address that pods use as their nameserver.
func corednsProcess(cfg *Config) *Process {
	return &Process{
		Name:   corednsName,
		Binary: cfg.Bin(corednsName),
		Args:   []string{"-conf", cfg.Path("conf", "Corefile")},
	}
}
