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
	schema schema
	// fields are an object's fields; every one is required unless open.
	fields []*field
	open   bool
}

func leaf(key string, def any, s schema, doc ...string) *field {
	return &field{key: key, def: def, schema: s, doc: doc}
}

func object(key string, doc []string, fields ...*field) *field {
	return &field{key: key, doc: doc, fields: fields}
}

// schema is the part of JSON Schema (draft 7) the chart's values use.
type schema struct {
	Schema      string `json:"$schema,omitempty"`
	Comment     string `json:"$comment,omitempty"`
	Description string `json:"description,omitempty"`
	// Type is one type, or a list of them.
	Type      any      `json:"type,omitempty"`
	Enum      []string `json:"enum,omitempty"`
	Pattern   string   `json:"pattern,omitempty"`
	MinLength *int     `json:"minLength,omitempty"`
	MaxLength *int     `json:"maxLength,omitempty"`
	Minimum   *int     `json:"minimum,omitempty"`
	// AdditionalProperties is false or a schema.
	AdditionalProperties any               `json:"additionalProperties,omitempty"`
	Properties           map[string]schema `json:"properties,omitempty"`
	Required             []string          `json:"required,omitempty"`
}

func ptr(i int) *int { return &i }

// JSON Schema's types.
const (
	typeString  = "string"
	typeNumber  = "number"
	typeObject  = "object"
	typeBoolean = "boolean"
	typeInteger = "integer"
)

// Schemas of leaves.
var (
	boolean  = schema{Type: typeBoolean}
	text     = schema{Type: typeString}
	nonEmpty = schema{Type: typeString, MinLength: ptr(1)}
	// dnsLabel is a namespace's name.
	dnsLabel = schema{Type: typeString, MaxLength: ptr(63), Pattern: `^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`}
	imageTag = schema{Type: typeString, Pattern: `^([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?$`}
	// pullPolicy: empty leaves it to Kubernetes (Always for :latest,
	// IfNotPresent otherwise).
	pullPolicy = schema{Type: typeString, Enum: []string{"", "Always", "IfNotPresent", "Never"}}
	replicas   = schema{Type: typeInteger, Minimum: ptr(0)}
	// quantity is a resource quantity, as a string ("64Mi", "100m") or a
	// number, never negative.
	quantity = schema{
		Type: []string{typeString, typeNumber}, Minimum: ptr(0),
		Pattern: `^\+?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+|[numkKMGTPE]|[KMGTPE]i)?$`,
	}
	resources = schema{
		Type: typeObject, AdditionalProperties: false,
		Properties: map[string]schema{
			"limits":   {Type: typeObject, AdditionalProperties: quantity},
			"requests": {Type: typeObject, AdditionalProperties: quantity},
		},
	}
	labels = schema{Type: typeObject, AdditionalProperties: text}
	// duration is a Prometheus duration.
	duration = schema{Type: typeString, Pattern: `^(0|([0-9]+(ms|s|m|h|d|w|y))+)$`}
	number   = schema{Type: typeNumber, Minimum: ptr(0)}
)

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
	k, _ := known(c.key)
	var doc []string
	if k.doc != "" {
		doc = []string{k.doc}
	}
	f := object(c.key, doc,
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
func configSchema(def string) schema {
	if _, err := strconv.ParseFloat(def, 64); err == nil {
		return schema{Type: []string{typeString, typeNumber}}
	}
	if def == "true" || def == "false" {
		return schema{Type: []string{typeString, typeBoolean}}
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
func (f *field) jsonSchema() schema {
	s := f.schema
	if f.fields != nil {
		s = schema{Type: typeObject, AdditionalProperties: false, Properties: map[string]schema{}}
		for _, c := range f.fields {
			s.Properties[c.key] = c.jsonSchema()
			if !f.open {
				s.Required = append(s.Required, c.key)
			}
		}
	}
	s.Description = strings.Join(f.doc, " ")
	return s
}

// schemaJSON is values.schema.json.
func (f *field) schemaJSON() ([]byte, error) {
	s := f.jsonSchema()
	s.Schema = "http://json-schema.org/draft-07/schema#"
	s.Comment = "Generated by hack/chart (make chart): edit hack/chart/values.go, not this file."
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
		k := &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: strTag, Value: c.key}
		if len(c.doc) > 0 {
			k.HeadComment = "# " + strings.Join(c.doc, "\n# ")
		}
		m.Content = append(m.Content, k, v)
	}
	return m, nil
}

// strTag is YAML's tag of strings.
const strTag = "!!str"

// toNode converts a default (a string, number, bool or map of them) to a
// YAML node.
func toNode(v any) (*yamlv3.Node, error) {
	switch v := v.(type) {
	case string:
		return &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: strTag, Value: v}, nil
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
			m.Content = append(m.Content, &yamlv3.Node{Kind: yamlv3.ScalarNode, Tag: strTag, Value: k}, n)
		}
		return m, nil
	}
	return nil, fmt.Errorf("unsupported default %T", v)
}
