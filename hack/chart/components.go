package main

// knownComponent is what hack/chart knows of one of Wake's Deployments
// beyond what config/ says. A Deployment it does not know still gets its
// values, without a comment, after these.
type knownComponent struct {
	key string
	// doc is its comment in values.yaml.
	doc string
	// namespaceFlags are the flags of its binary whose defaults name
	// Wake's namespace (cmd/activator, cmd/dispatcher): the chart passes
	// them when Wake runs in another namespace than config/'s. %s is that
	// namespace.
	namespaceFlags []string
}

// knownComponents in the order of values.yaml.
var knownComponents = []knownComponent{
	{
		key: "controller",
		doc: "wake-controller: the reconcilers and the autoscaler, deciding on the elected leader.",
	},
	{
		key:            "activator",
		doc:            "wake-activator: the ingress for all function traffic (Service wake-activator, port 80).",
		namespaceFlags: []string{"--autoscaler=wake-autoscaler.%s.svc:8090"},
	},
	{
		key: "dispatcher",
		doc: "wake-dispatcher: consumes the topics of every KafkaTrigger and delivers each message.",
		namespaceFlags: []string{
			"--autoscaler=wake-autoscaler.%s.svc:8090",
			"--activator-url=http://wake-activator.%s.svc",
			"--embedded-broker=wake-broker.%s.svc:9092",
		},
	},
}

// known returns what hack/chart knows of the component key, and its rank
// in values.yaml.
func known(key string) (knownComponent, int) {
	for i, k := range knownComponents {
		if k.key == key {
			return k, i
		}
	}
	return knownComponent{key: key}, len(knownComponents)
}
