package main

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

// krewManifest is the part of krew's plugin manifest
// (krew.googlecontainertools.github.com/v1alpha2) the test checks.
type krewManifest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name string `json:"name"`
	} `json:"metadata"`
	Spec struct {
		Version          string `json:"version"`
		ShortDescription string `json:"shortDescription"`
		Platforms        []struct {
			Selector struct {
				MatchLabels map[string]string `json:"matchLabels"`
			} `json:"selector"`
			URI    string `json:"uri"`
			SHA256 string `json:"sha256"`
			Bin    string `json:"bin"`
		} `json:"platforms"`
	} `json:"spec"`
}

// TestKrewManifest checks hack/krew/wake.yaml: krew's format, one
// platform each for Linux and macOS on amd64 and arm64, each installing
// kubectl-wake from its own archive of the manifest's version.
func TestKrewManifest(t *testing.T) {
	path := filepath.Join("..", "..", "hack", "krew", "wake.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var m krewManifest
	if err := yaml.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if m.APIVersion != "krew.googlecontainertools.github.com/v1alpha2" || m.Kind != "Plugin" || m.Metadata.Name != "wake" {
		t.Errorf("%s is %s %s %q, want krew's v1alpha2 Plugin named wake (as its file)", path, m.APIVersion, m.Kind, m.Metadata.Name)
	}
	if !regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(m.Spec.Version) {
		t.Errorf("version %q is not v-prefixed semver", m.Spec.Version)
	}
	if n := len(m.Spec.ShortDescription); n == 0 || n > 50 {
		t.Errorf("shortDescription is %d characters, want 1 to 50", n)
	}
	var got []string
	for _, p := range m.Spec.Platforms {
		goos, arch := p.Selector.MatchLabels["os"], p.Selector.MatchLabels["arch"]
		got = append(got, goos+"/"+arch)
		if p.Bin != "kubectl-wake" {
			t.Errorf("%s/%s: bin %q, want kubectl-wake", goos, arch, p.Bin)
		}
		if !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(p.SHA256) {
			t.Errorf("%s/%s: sha256 %q is not 64 hex digits", goos, arch, p.SHA256)
		}
		if !strings.Contains(p.URI, "/"+m.Spec.Version+"/") || !strings.HasSuffix(p.URI, "kubectl-wake_"+goos+"_"+arch+".tar.gz") {
			t.Errorf("%s/%s: uri %q is not this version's archive for the platform", goos, arch, p.URI)
		}
	}
	slices.Sort(got)
	if want := []string{"darwin/amd64", "darwin/arm64", "linux/amd64", "linux/arm64"}; !slices.Equal(got, want) {
		t.Errorf("platforms %v, want %v", got, want)
	}
}
