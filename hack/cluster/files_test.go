package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWriteConfigFiles renders every template with the default configuration
// and checks the settings these machines need.
func TestWriteConfigFiles(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	p := &PKI{dir: cfg.Path("pki")}
	if err := WriteConfigFiles(cfg, p); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{
		"conf/containerd.toml":       {"restrict_oom_score_adj = true", `bin_dir = "/usr/lib/cni"`, `sandbox_image = "docker.io/wake/pause:dev"`, `address = "` + cfg.ContainerdSocket() + `"`},
		"conf/kubelet.yaml":          {"cgroupDriver: cgroupfs", "failCgroupV1: false", "failSwapOn: false", `- "10.250.0.1"`},
		"conf/kube-proxy.yaml":       {"mode: iptables", `clusterCIDR: "10.244.0.0/16"`},
		"conf/Corefile":              {"bind 10.250.0.1", "kubernetes cluster.local"},
		"cni/net.d/10-wake.conflist": {`"type": "bridge"`, `"type": "host-local"`, `"type": "portmap"`, `"type": "loopback"`, `"subnet": "10.244.0.0/16"`},
	}
	for file, snippets := range want {
		data, err := os.ReadFile(filepath.Join(cfg.Root, file))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range snippets {
			if !strings.Contains(string(data), s) {
				t.Errorf("%s does not contain %q:\n%s", file, s, data)
			}
		}
	}
}

func TestUnescapeMount(t *testing.T) {
	if got, want := unescapeMount(`/var/lib/a\040b`), "/var/lib/a b"; got != want {
		t.Errorf("unescapeMount = %q, want %q", got, want)
	}
}
