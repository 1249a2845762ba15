package manifests

import (
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
)

// monitoringLabel is the namespace label an operator sets on the namespaces
// allowed to scrape Wake's metrics.
const monitoringLabel = "wake.dev/monitoring"

// installation is what config/ installs: Wake's pods by Deployment or
// StatefulSet name, and the NetworkPolicies.
type installation struct {
	pods     map[string]pod
	policies []networkingv1.NetworkPolicy
}

func load(t *testing.T, dir string) installation {
	t.Helper()
	in := installation{pods: map[string]pod{}}
	for _, u := range build(t, dir) {
		switch u.GetKind() {
		case "Deployment":
			var d appsv1.Deployment
			convert(t, u, &d)
			in.pods[d.Name] = podOf(d.Namespace, &d.Spec.Template)
		case "StatefulSet":
			var ss appsv1.StatefulSet
			convert(t, u, &ss)
			in.pods[ss.Name] = podOf(ss.Namespace, &ss.Spec.Template)
		case "NetworkPolicy":
			var np networkingv1.NetworkPolicy
			convert(t, u, &np)
			in.policies = append(in.policies, np)
		}
	}
	return in
}

// podOf returns the pod a template in namespace makes.
func podOf(namespace string, tmpl *corev1.PodTemplateSpec) pod {
	p := pod{namespace: namespace, labels: tmpl.Labels,
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": namespace}}
	for _, c := range tmpl.Spec.Containers {
		p.ports = append(p.ports, c.Ports...)
	}
	return p
}

func convert(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("%s %s: %v", u.GetKind(), u.GetName(), err)
	}
}

// port returns the number of dst's container port name.
func (in installation) port(t *testing.T, dst, name string) int32 {
	t.Helper()
	for _, p := range in.pods[dst].ports {
		if p.Name == name {
			return p.ContainerPort
		}
	}
	t.Fatalf("%s has no port %q", dst, name)
	return 0
}

// Sources of connections, besides Wake's own pods.
var (
	tenantPod = pod{namespace: "tenant", labels: map[string]string{"app": "shell"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "tenant"}}
	functionPod = pod{namespace: "tenant", labels: map[string]string{"serving.wake.dev/revision": "hello-00001"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "tenant"}}
	// impostor wears the activator's labels in a tenant's namespace.
	impostor = pod{namespace: "tenant", labels: map[string]string{
		"app.kubernetes.io/name": "wake-activator", "app.kubernetes.io/part-of": "wake"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "tenant"}}
	prometheus = pod{namespace: "monitoring", labels: map[string]string{"app": "prometheus"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "monitoring", monitoringLabel: "true"}}
	// dispatcher consumes from wake-broker for KafkaTriggers.
	dispatcher = pod{namespace: "wake-system", labels: map[string]string{
		"app.kubernetes.io/name": "wake-dispatcher", "app.kubernetes.io/part-of": "wake"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "wake-system"}}
	// dispatcherImpostor wears the dispatcher's labels in a tenant's
	// namespace.
	dispatcherImpostor = pod{namespace: "tenant", labels: map[string]string{
		"app.kubernetes.io/name": "wake-dispatcher", "app.kubernetes.io/part-of": "wake"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "tenant"}}
	// brokerClient is a developer's or a test's pod in a namespace
	// labelled to reach the development broker.
	brokerClient = pod{namespace: "default", labels: map[string]string{"run": "producer"},
		namespaceLabels: map[string]string{"kubernetes.io/metadata.name": "default", brokerClientsLabel: "true"}}
)

// brokerClientsLabel is the namespace label that lets a namespace's pods
// reach the development broker.
const brokerClientsLabel = "wake.dev/broker-clients"

// TestNetworkPolicies checks, per Wake port, which peers the
// NetworkPolicies of config/default let in: the stat port only from
// activators and dispatchers, metrics only from monitoring namespaces, function traffic and
// the controller's health port from anywhere.
func TestNetworkPolicies(t *testing.T) {
	in := load(t, "config/default")
	activator, controller, dispatcher := in.pods["wake-activator"], in.pods["wake-controller"], in.pods["wake-dispatcher"]
	if activator.labels == nil || controller.labels == nil || dispatcher.labels == nil {
		t.Fatalf("config/default has no wake-activator, wake-controller or wake-dispatcher Deployment")
	}
	tests := []struct {
		name     string
		src      pod
		dst      string
		portName string
		want     bool
	}{
		{"client to activator data port", tenantPod, "wake-activator", "http", true},
		{"activator to activator data port (forwarding)", activator, "wake-activator", "http", true},
		{"function pod to activator data port", functionPod, "wake-activator", "http", true},
		{"tenant to activator admin (metrics)", tenantPod, "wake-activator", "admin", false},
		{"function pod to activator admin (metrics)", functionPod, "wake-activator", "admin", false},
		{"monitoring to activator admin (metrics)", prometheus, "wake-activator", "admin", true},
		{"activator to stat port", activator, "wake-controller", "stats", true},
		{"dispatcher to stat port", dispatcher, "wake-controller", "stats", true},
		{"tenant to dispatcher metrics", tenantPod, "wake-dispatcher", "metrics", false},
		{"monitoring to dispatcher metrics", prometheus, "wake-dispatcher", "metrics", true},
		{"anyone to dispatcher probes", tenantPod, "wake-dispatcher", "probes", true},
		{"tenant to stat port", tenantPod, "wake-controller", "stats", false},
		{"function pod to stat port", functionPod, "wake-controller", "stats", false},
		{"activator impostor in a tenant namespace to stat port", impostor, "wake-controller", "stats", false},
		{"monitoring to stat port", prometheus, "wake-controller", "stats", false},
		{"tenant to controller metrics", tenantPod, "wake-controller", "metrics", false},
		{"activator to controller metrics", activator, "wake-controller", "metrics", false},
		{"monitoring to controller metrics", prometheus, "wake-controller", "metrics", true},
		{"anyone to controller probes", tenantPod, "wake-controller", "probes", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			port := in.port(t, tt.dst, tt.portName)
			if got := ingressAllowed(in.policies, tt.src, in.pods[tt.dst], port); got != tt.want {
				t.Errorf("%s -> %s:%d (%s): allowed = %v, want %v", tt.src.namespace, tt.dst, port, tt.portName, got, tt.want)
			}
		})
	}
}

// TestBrokerNetworkPolicy checks who may reach the development broker that
// config/local installs: the dispatchers of Wake's namespace and pods of
// namespaces labelled wake.dev/broker-clients=true, nobody else.
func TestBrokerNetworkPolicy(t *testing.T) {
	in := load(t, "config/local")
	if in.pods["wake-broker"].labels == nil {
		t.Fatal("config/local has no wake-broker StatefulSet")
	}
	tests := []struct {
		name string
		src  pod
		want bool
	}{
		{"dispatcher", dispatcher, true},
		{"labelled namespace", brokerClient, true},
		{"tenant", tenantPod, false},
		{"function pod", functionPod, false},
		{"dispatcher impostor in a tenant namespace", dispatcherImpostor, false},
		{"activator", in.pods["wake-activator"], false},
		{"monitoring", prometheus, false},
	}
	port := in.port(t, "wake-broker", "kafka")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ingressAllowed(in.policies, tt.src, in.pods["wake-broker"], port); got != tt.want {
				t.Errorf("%s -> wake-broker:%d: allowed = %v, want %v", tt.src.namespace, port, got, tt.want)
			}
		})
	}
}

// TestNetworkPoliciesCoverEveryPort: every container port of Wake's pods is
// open to someone (a port no rule names would be closed to all), and every
// Wake pod is selected by a policy (a new component would otherwise be open
// to all), in config/default and in config/local, which adds the broker.
func TestNetworkPoliciesCoverEveryPort(t *testing.T) {
	for _, dir := range []string{"config/default", "config/local"} {
		t.Run(dir, func(t *testing.T) {
			in := load(t, dir)
			if len(in.pods) == 0 {
				t.Fatalf("%s has no Deployments", dir)
			}
			activator := in.pods["wake-activator"]
			for name, dst := range in.pods {
				if ingressAllowed(in.policies, tenantPod, dst, 1) {
					t.Errorf("%s: not isolated by any NetworkPolicy (port 1 open to a tenant)", name)
				}
				for _, p := range dst.ports {
					open := false
					for _, src := range []pod{tenantPod, activator, prometheus, dispatcher} {
						open = open || ingressAllowed(in.policies, src, dst, p.ContainerPort)
					}
					if !open {
						t.Errorf("%s: port %s (%d) is open to nobody", name, p.Name, p.ContainerPort)
					}
				}
			}
		})
	}
}

// TestBrokerOnlyLocal: the development broker is installed by config/local
// only, never by config/default, which production clusters apply.
func TestBrokerOnlyLocal(t *testing.T) {
	development := func(dir string) []string {
		var names []string
		for _, u := range build(t, dir) {
			if u.GetLabels()["wake.dev/development"] == "true" {
				names = append(names, u.GetKind()+"/"+u.GetName())
			}
		}
		return names
	}
	if got := development("config/default"); len(got) > 0 {
		t.Errorf("config/default installs development objects: %v", got)
	}
	if got := development("config/local"); len(got) == 0 {
		t.Error("config/local installs no development broker")
	}
}

// TestLocalIncludesNetworkPolicies: the local cluster installs the same
// policies as config/default.
func TestLocalIncludesNetworkPolicies(t *testing.T) {
	def, local := load(t, "config/default"), load(t, "config/local")
	if len(def.policies) == 0 || len(local.policies) != len(def.policies) {
		t.Errorf("config/default has %d NetworkPolicies, config/local %d", len(def.policies), len(local.policies))
	}
	for _, p := range def.policies {
		if p.Namespace != "wake-system" {
			t.Errorf("NetworkPolicy %s is in namespace %q, want wake-system", p.Name, p.Namespace)
		}
	}
}
