package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
)

// source is one main package to turn into an image.
type source struct {
	// Name is the image name without prefix or tag, and the binary's name.
	Name string
	// Module is the folder of the Go module to build in.
	Module string
	// Package is the package path relative to Module, like "./cmd/controller".
	Package string
}

// discover lists the main packages under cmd/ and test/images/ of the
// repository, and the pause image from hack/images/pause.
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
			if !e.IsDir() {
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
