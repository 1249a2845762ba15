package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	yamlv3 "go.yaml.in/yaml/v3"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// configMapName is the ConfigMap whose data the chart's config value sets.
const configMapName = "wake-config"

// source is what the chart is rendered from: the objects of
// `kubectl kustomize config/default`, and what values the chart makes of
// them.
type source struct {
	// namespace is Wake's namespace in config/: the Namespace object's name.
	namespace string
	objects   []map[string]any
	// components are Wake's Deployments, by name.
	components []*component
	// config is wake-config's data, by key.
	config []configEntry
}

// component is one of Wake's Deployments, wake-<key>: its values live
// under <key>.
type component struct {
	key        string
	repository string
	tag        string
	replicas   int64
	// containers are the pod's containers (init containers first), each
	// with its values path for resources.
	containers []container
}

// container is one container of a component's pod.
type container struct {
	name string
	// key is where its values live under the component's: "" for the
	// component's main container (named as the component), else the
	// container's name in lowerCamelCase.
	key       string
	resources map[string]any
}

// configEntry is one key of wake-config with its default and the comment
// above it in config/'s source.
type configEntry struct {
	key, value string
	doc        []string
}

// load runs `kubectl kustomize dir` and reads the objects.
func load(kubectl, dir string) (*source, error) {
	cmd := exec.Command(kubectl, "kustomize", dir)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s kustomize %s: %w: %s", kubectl, dir, err, stderr.String())
	}
	objs, err := decode(out)
	if err != nil {
		return nil, fmt.Errorf("read kustomize output: %w", err)
	}
	src := &source{objects: objs}
	if err := src.analyse(); err != nil {
		return nil, err
	}
	order, docs, err := configDocs(filepath.Join(dir, configMapName+".yaml"))
	if err != nil {
		return nil, err
	}
	// config/'s order, whose comments speak of groups of keys; keys only
	// kustomize knows (none today) last.
	rank := func(key string) int {
		if i, ok := order[key]; ok {
			return i
		}
		return len(order)
	}
	sort.SliceStable(src.config, func(i, j int) bool { return rank(src.config[i].key) < rank(src.config[j].key) })
	for i := range src.config {
		src.config[i].doc = docs[src.config[i].key]
	}
	return src, nil
}

// decode splits a multi-document YAML stream into objects.
func decode(b []byte) ([]map[string]any, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(b)))
	var objs []map[string]any
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		var obj map[string]any
		if err := yaml.Unmarshal(doc, &obj); err != nil {
			return nil, err
		}
		if obj != nil {
			objs = append(objs, obj)
		}
	}
}

// analyse finds the namespace, the components and wake-config's data.
func (s *source) analyse() error {
	for _, obj := range s.objects {
		switch kindOf(obj) {
		case "Namespace":
			if s.namespace != "" {
				return fmt.Errorf("two Namespaces: %s and %s", s.namespace, nameOf(obj))
			}
			s.namespace = nameOf(obj)
		case "Deployment":
			c, err := newComponent(obj)
			if err != nil {
				return fmt.Errorf("deployment %s: %w", nameOf(obj), err)
			}
			s.components = append(s.components, c)
		case "ConfigMap":
			if nameOf(obj) != configMapName {
				continue
			}
			data, _ := obj["data"].(map[string]any)
			for k, v := range data {
				str, ok := v.(string)
				if !ok {
					return fmt.Errorf("%s: %s is not a string", configMapName, k)
				}
				s.config = append(s.config, configEntry{key: k, value: str})
			}
			sort.Slice(s.config, func(i, j int) bool { return s.config[i].key < s.config[j].key })
		}
	}
	switch {
	case s.namespace == "":
		return errors.New("no Namespace object: the chart takes Wake's namespace from it")
	case len(s.components) == 0:
		return errors.New("no Deployments")
	case s.config == nil:
		return fmt.Errorf("no ConfigMap %s", configMapName)
	}
	rank := func(i int) int { _, r := known(s.components[i].key); return r }
	sort.SliceStable(s.components, func(i, j int) bool { return rank(i) < rank(j) })
	return nil
}

// newComponent reads a Deployment named wake-<key> whose containers all
// run one image.
func newComponent(obj map[string]any) (*component, error) {
	key, ok := strings.CutPrefix(nameOf(obj), "wake-")
	if !ok || strings.Contains(key, "-") {
		return nil, errors.New("the chart expects Deployments named wake-<component>, <component> one word")
	}
	c := &component{key: key}
	spec := mapAt(obj, "spec")
	replicas, ok := spec["replicas"].(float64)
	if !ok {
		return nil, errors.New("no spec.replicas")
	}
	c.replicas = int64(replicas)
	main := false
	for _, ctr := range podContainers(obj) {
		name, _ := ctr["name"].(string)
		image, _ := ctr["image"].(string)
		repo, tag, ok := strings.Cut(image, ":")
		if !ok || strings.Contains(tag, "/") {
			return nil, fmt.Errorf("container %s: image %q has no tag", name, image)
		}
		if c.repository == "" {
			c.repository, c.tag = repo, tag
		} else if repo != c.repository || tag != c.tag {
			return nil, fmt.Errorf("container %s runs %s, another %s:%s: one image per component", name, image, c.repository, c.tag)
		}
		if _, ok := ctr["imagePullPolicy"]; ok {
			return nil, fmt.Errorf("container %s sets imagePullPolicy, which the chart's values set", name)
		}
		resources, _ := ctr["resources"].(map[string]any)
		ck := ""
		if name == key {
			main = true
		} else {
			ck = lowerCamel(name)
		}
		c.containers = append(c.containers, container{name: name, key: ck, resources: resources})
	}
	if !main {
		return nil, fmt.Errorf("no container named %s", key)
	}
	return c, nil
}

// configDocs returns the position of each key of the ConfigMap's data in
// the YAML file at path, and the comment above it without the "# ".
func configDocs(path string) (map[string]int, map[string][]string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	var doc yamlv3.Node
	if err := yamlv3.Unmarshal(b, &doc); err != nil || len(doc.Content) == 0 {
		return nil, nil, fmt.Errorf("%s: not YAML: %v", path, err)
	}
	order, docs := map[string]int{}, map[string][]string{}
	data := mappingValue(doc.Content[0], "data")
	if data == nil {
		return nil, nil, fmt.Errorf("%s has no data", path)
	}
	for i := 0; i+1 < len(data.Content); i += 2 {
		k := data.Content[i]
		order[k.Value] = i / 2
		if k.HeadComment == "" {
			continue
		}
		for _, l := range strings.Split(k.HeadComment, "\n") {
			docs[k.Value] = append(docs[k.Value], strings.TrimPrefix(strings.TrimPrefix(l, "#"), " "))
		}
	}
	return order, docs, nil
}

// mappingValue returns the value of key in the mapping node m, or nil.
func mappingValue(m *yamlv3.Node, key string) *yamlv3.Node {
	if m == nil || m.Kind != yamlv3.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func kindOf(obj map[string]any) string { s, _ := obj["kind"].(string); return s }

func nameOf(obj map[string]any) string { s, _ := mapAt(obj, "metadata")["name"].(string); return s }

// mapAt returns obj's map under key, creating it if missing.
func mapAt(obj map[string]any, key string) map[string]any {
	m, ok := obj[key].(map[string]any)
	if !ok {
		m = map[string]any{}
		obj[key] = m
	}
	return m
}

// podContainers returns the init containers and the containers of a
// Deployment's pod template, in that order.
func podContainers(obj map[string]any) []map[string]any {
	pod := mapAt(mapAt(mapAt(obj, "spec"), "template"), "spec")
	var out []map[string]any
	for _, field := range []string{"initContainers", "containers"} {
		list, _ := pod[field].([]any)
		for _, item := range list {
			if ctr, ok := item.(map[string]any); ok {
				out = append(out, ctr)
			}
		}
	}
	return out
}

// lowerCamel turns "listener-keeper" into "listenerKeeper".
func lowerCamel(s string) string {
	parts := strings.Split(s, "-")
	for i := 1; i < len(parts); i++ {
		if parts[i] != "" {
			parts[i] = strings.ToUpper(parts[i][:1]) + parts[i][1:]
		}
	}
	return strings.Join(parts, "")
}
