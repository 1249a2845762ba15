package main

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// source is one main package to turn into an image.
type source struct {
	// Name is the image name without prefix or tag, and the binary's name.
	Name string
	// Module is the folder of the Go module to build in.
	Module string
	// Package is the package path relative to Module, like "./cmd/controller",
	// or an import path the module requires.
	Package string
	// Binary, when set, is a prebuilt static binary packed instead of
	// building Package.
	Binary string
	// User, when set, is the image's user (Knative's manifests require
	// runAsNonRoot and leave the user to the image, as ko sets it).
	User string
}

// discover lists the main packages under cmd/ and test/images/ of the
// repository, and the pause image from hack/images/pause. A kubectl plugin
// (cmd/kubectl-*) runs on the user's machine, not in the cluster: it gets
// no image.
func discover(repo string) ([]source, error) {
	var sources []source
	for _, parent := range []string{"cmd", "test/images"} {
		entries, err := os.ReadDir(filepath.Join(repo, parent))
		if os.IsNotExist(err) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("list %s: %w", parent, err)
		}
		for _, e := range entries {
			if !e.IsDir() || parent == "cmd" && strings.HasPrefix(e.Name(), "kubectl-") {
				continue
			}
			if _, err := os.Stat(filepath.Join(repo, parent, e.Name(), "main.go")); err != nil {
				continue
			}
			sources = append(sources, source{Name: e.Name(), Module: repo, Package: "./" + parent + "/" + e.Name()})
		}
	}
	sources = append(sources, source{Name: "pause", Module: filepath.Join(repo, "hack", "images"), Package: "./pause"})
	sort.Slice(sources, func(i, j int) bool { return sources[i].Name < sources[j].Name })
	for i := 1; i < len(sources); i++ {
		if sources[i].Name == sources[i-1].Name {
			return nil, fmt.Errorf("two images named %q (%s and %s)", sources[i].Name, sources[i-1].Package, sources[i].Package)
		}
	}
	return sources, nil
}

// selectSources keeps the sources named in only, or all when only is empty.
func selectSources(all []source, only []string) ([]source, error) {
	if len(only) == 0 {
		return all, nil
	}
	byName := make(map[string]source, len(all))
	for _, s := range all {
		byName[s.Name] = s
	}
	picked := make([]source, 0, len(only))
	for _, name := range only {
		s, ok := byName[name]
		if !ok {
			return nil, fmt.Errorf("no image named %q (looked under cmd/, test/images/ and hack/images/pause)", name)
		}
		picked = append(picked, s)
	}
	return picked, nil
}

// imageName is what an explicit source may be called: a lowercase image
// path component.
var imageName = regexp.MustCompile(`^[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// explicitSources turns name=value arguments into sources. With module set,
// value is a main package (an import path or a path relative to module)
// built in module; without, value is a prebuilt binary, which must exist.
func explicitSources(args []string, module string) ([]source, error) {
	sources := make([]source, 0, len(args))
	seen := map[string]bool{}
	for _, arg := range args {
		name, value, ok := strings.Cut(arg, "=")
		if !ok || value == "" || !imageName.MatchString(name) {
			return nil, fmt.Errorf("argument %q: want name=package (with -module) or name=binary, name lowercase [a-z0-9._-]", arg)
		}
		if seen[name] {
			return nil, fmt.Errorf("two images named %q", name)
		}
		seen[name] = true
		if module != "" {
			sources = append(sources, source{Name: name, Module: module, Package: value})
			continue
		}
		st, err := os.Stat(value)
		if err != nil {
			return nil, fmt.Errorf("image %s: %w", name, err)
		}
		if !st.Mode().IsRegular() {
			return nil, fmt.Errorf("image %s: %s is not a regular file", name, value)
		}
		sources = append(sources, source{Name: name, Binary: value})
	}
	return sources, nil
}
