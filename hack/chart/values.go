package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
)

// field is one value of the chart: a leaf with its default and schema, or
// an object of fields. values.yaml and values.schema.json are both written
// from one tree, so that they list the same values.
type field struct {
	key string
	// doc is the comment above the key in values.yaml, and the schema's
	// description.
	doc []string
	// def and schema are a leaf's default and JSON schema.
	def    any
	schema map[string]any
	// fields are an object's fields; every one is required unless open.
	fields []*field
	open   bool
}

func leaf(key string, def any, schema map[string]any, doc ...string) *field {
	return &field{key: key, def: def, schema: schema, doc: doc}
}

func object(key string, doc []string, fields ...*field) *field {
	return &field{key: key, doc: doc, fields: fields}
}

// Schemas of leaves.
var (
	boolean  = map[string]any{"type": "boolean"}
	text     = map[string]any{"type": "string"}
	nonEmpty = map[string]any{"type": "string", "minLength": 1}
	// dnsLabel is a namespace's name.
	dnsLabel = map[string]any{"type": "string", "maxLength": 63, "pattern": `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`}
	imageTag = map[string]any{"type": "string", "pattern": `^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`}
	// pullPolicy: empty leaves it to Kubernetes (Always for :latest,
	// IfNotPresent otherwise).
	pullPolicy = map[string]any{"type": "string", "enum": []any{"", "Always", "IfNotPresent", "Never"}}
	replicas   = map[string]any{"type": "integer", "minimum": 0}
	// quantity is a resource quantity, as a string ("64Mi", "100m") or a
	// number, never negative.
	quantity = map[string]any{
		"type": []any{"string", "number"}, "minimum": 0,
		"pattern": `^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkKMGTPE]|[KMGTPE]i)?$`,
	}
	resources = map[string]any{
		"type": "object", "additionalProperties": false,
		"properties": map[string]any{
			"limits":   map[string]any{"type": "object", "additionalProperties": quantity},
			"requests": map[string]any{"type": "object", "additionalProperties": quantity},
		},
	}
	labels = map[string]any{"type": "object", "additionalProperties": map[string]any{"type": "string"}}
	// duration is a Prometheus duration.
	duration = map[string]any{"type": "string", "pattern": `^(0|([0-9]+(ms|s|m|h|d|w|y))+)$`}
	number   = map[string]any{"type": "number", "minimum": 0}
)

// componentDocs describe each component's Deployment in values.yaml.
var componentDocs = map[string][]string{
	"activator":  {"wake-activator: the ingress for all function traffic (Service wake-activator, port 80)."},
	"controller": {"wake-controller: the reconcilers and the autoscaler, deciding on the elected leader."},
	"dispatcher": {"wake-dispatcher: consumes the topics of every KafkaTrigger and delivers each message."},
}

// values is the chart's tree of values, with config/'s defaults.
func (s *source) values() *field {
	root := object("", nil,
		leaf("namespace", s.namespace, dnsLabel,
			"Wake's namespace. The chart creates it unless it is the release's namespace",
			"(helm install -n "+s.namespace+" --create-namespace): Helm needs that one before it installs.",
			"Another namespace than "+s.namespace+" also sets the flags of the activator and the",
			"dispatcher that name it."),
		object("crds", []string{"Wake's CustomResourceDefinitions, in templates/ so that helm upgrade updates them."},
			leaf("install", true, boolean, "Install and upgrade the CRDs with the release."),
			leaf("keep", true, boolean,
				"Annotate them helm.sh/resource-policy: keep, so that neither helm uninstall nor",
				"an upgrade with install false deletes them, and with them every Function, Route",
				"and trigger.")),
	)
	for _, c := range s.components {
		root.fields = append(root.fields, c.values())
	}
	cfg := object("config", []string{
		"wake-config's data (README, \"Configuration\"): these are the defaults, and",
		"what a values file sets is merged over them. Numbers and booleans may be",
		"given as such; the ConfigMap gets their strings.",
	})
	cfg.open = true
	for _, e := range s.config {
		cfg.fields = append(cfg.fields, leaf(e.key, e.value, configSchema(e.value), e.doc...))
	}
	root.fields = append(root.fields, cfg, monitoring())
	return root
}

// values is a component's image, replicas and each container's resources.
func (c *component) values() *field {
	f := object(c.key, componentDocs[c.key],
		object("image", nil,
			leaf("repository", c.repository, nonEmpty),
			leaf("tag", "", imageTag, "Empty: the chart's appVersion."),
			leaf("pullPolicy", "", pullPolicy, "Empty: Kubernetes' default (Always for the tag latest, else IfNotPresent).")),
		leaf("replicas", c.replicas, replicas))
	// The main container's resources, then the others'.
	for _, ctr := range c.containers {
		if ctr.key == "" {
			f.fields = append(f.fields, leaf("resources", orEmpty(ctr.resources), resources))
		}
	}
	for _, ctr := range c.containers {
		if ctr.key != "" {
			f.fields = append(f.fields, object(ctr.key, nil,
				leaf("resources", orEmpty(ctr.resources), resources, "Of the "+ctr.name+" container.")))
		}
	}
	return f
}

// monitoring is the optional ServiceMonitor and PrometheusRule
// (hack/chart/static/templates/monitoring).
func monitoring() *field {
	return object("monitoring", []string{
		"For the Prometheus Operator. Wake's NetworkPolicies let only namespaces labelled",
		"wake.dev/monitoring=true scrape its metrics: label Prometheus's.",
	},
		object("serviceMonitor", []string{"Headless Services wake-{controller,activator,dispatcher}-metrics and a ServiceMonitor of them."},
			leaf("enabled", false, boolean),
			leaf("interval", "30s", duration),
			leaf("labels", map[string]any{}, labels, "Added to the ServiceMonitor's, e.g. what your Prometheus selects.")),
		object("prometheusRule", []string{"Alerts on refusals at the activators, dispatcher lag, lost metering and failed scale writes."},
			leaf("enabled", false, boolean),
			leaf("labels", map[string]any{}, labels, "Added to the PrometheusRule's, e.g. what your Prometheus selects."),
			leaf("severity", "warning", nonEmpty, "The severity label of every alert."),
			leaf("for", "10m", duration, "How long a condition lasts before its alert fires (not for lost metering, which fires at once)."),
			leaf("activatorRefusalsPerSecond", 1, number, "Refusals per second, of one reason, over all activators."),
			leaf("dispatcherLagMessages", 10000, number, "Messages behind, summed over a trigger's partitions.")),
	)
}

// configSchema accepts a wake-config value as a string, or as a number or
// boolean where the default is one.
func configSchema(def string) map[string]any {
	if _, err := strconv.ParseFloat(def, 64); err == nil {
		return map[string]any{"type": []any{"string", "number"}}
	}
	if def == "true" || def == "false" {
		return map[string]any{"type": []any{"string", "boolean"}}
	}
	return text
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// jsonSchema returns the field's schema.
func (f *field) jsonSchema() map[string]any {
	var s map[string]any
	if f.fields == nil {
		s = map[string]any{}
		for k, v := range f.schema {
			s[k] = v
		}
	} else {
		props := map[string]any{}
		required := make([]any, 0, len(f.fields))
		for _, c := range f.fields {
			props[c.key] = c.jsonSchema()
			required = append(required, c.key)
		}
		s = map[string]any{"type": "object", "additionalProperties": false, "properties": props}
		if !f.open {
			s["required"] = required
		}
	}
	if len(f.doc) > 0 {
		s["description"] = strings.Join(f.doc, " ")
	}
	return s
}

// schemaJSON is values.schema.json.
func (f *field) schemaJSON() ([]byte, error) {
	s := f.jsonSchema()
	s["$schema"] = "http://json-schema.org/draft-07/schema#"
	s["$comment"] = "Generated by hack/chart (make chart): edit hack/chart/values.go, not this file."
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// valuesYAML is values.yaml, with each field's doc as a comment.
func (f *field) valuesYAML() ([]byte, error) {
	node, err := f.node()
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	b.WriteString("# Wake's Helm chart: the defaults are config/default's.\n")
	b.WriteString("# Generated by hack/chart (make chart): edit config/ or hack/chart, not this file.\n")
	enc := yamlv3.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(node); err != nil {
		return nil, err
	}
	if err := enc.Close(); err != nil {
		return nil, err
	}
	// A blank line before each top-level value's comment or key.
	lines := strings.Split(b.String(), "\n")
	out := make([]string, 0, len(lines)+len(f.fields))
	for i, l := range lines {
		top := l != "" && l[0] != ' ' && l[0] != '-'
		if top && i > 2 && !strings.HasPrefix(lines[i-1], "#") {
			out = append(out, "")
		}
		out = append(out, l)
	}
	return []byte(strings.Join(out, "\n")), nil
}

// node returns the field's value as a YAML node.
func (f *field) node() (*yamlv3.Node, error) {
	if f.fields == nil {
		return toNode(f.def)
	}
	m := &yamlv3.Node{Kind: yamlv3.MappingNode}
	for _, c := range f.fields {
		v, err := c.node()
		if err != nil {
			return nil, fmt.Errorf("%s: %w", c.key, err)
		}
		k := &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: c.key}
		if len(c.doc) > 0 {
			k.HeadComment = "# " + strings.Join(c.doc, "\n# ")
		}
		m.Content = append(m.Content, k, v)
	}
	return m, nil
}

// toNode converts a default (a string, number, bool or map of them) to a
// YAML node.
func toNode(v any) (*yamlv3.Node, error) {
	switch v := v.(type) {
	case string:
		return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: v}, nil
	case bool:
		return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(v)}, nil
	case int:
		return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!int", Value: strconv.Itoa(v)}, nil
	case int64:
		return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(v, 10)}, nil
	case float64:
		return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(v, 'f', -1, 64)}, nil
	case map[string]any:
		m := &yamlv3.Node{Kind: yamlv3.MappingNode}
		if len(v) == 0 {
			m.Style = yamlv3.FlowStyle
		}
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			n, err := toNode(v[k])
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			m.Content = append(m.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: "!!str", Value: k}, n)
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported default %T", v)
}
