package main

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// containerdTemplate is containerd's configuration: its own root, state and
// socket so it cannot collide with another containerd, Debian's runc, the
// locally built pause image, and the CNI plugins Debian installs in
// /usr/lib/cni. restrict_oom_score_adj is required here: this VM forbids a
// negative oom_score_adj, and without it every pod sandbox fails.
var containerdTemplate = mustTemplate("containerd.toml", `version = 2
root = "{{.Path "containerd" "root"}}"
state = "{{.Path "containerd" "state"}}"
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "{{.ContainerdSocket}}"

[plugins."io.containerd.internal.v1.opt"]
  path = "{{.Path "containerd" "opt"}}"

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "{{.PauseImage}}"
  restrict_oom_score_adj = true
  stream_server_address = "127.0.0.1"
  stream_server_port = "0"
  enable_selinux = false

  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"

    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"

      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "/usr/sbin/runc"
        Root = "{{.Path "containerd" "runc"}}"
        SystemdCgroup = false

  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "{{.Path "cni" "net.d"}}"
`)

// cniTemplate is the pod network: one bridge with host-local IPAM over the
// pod CIDR, routed (not masqueraded: pods talk only to the host and to each
// other), with hairpin mode so a pod can reach itself through a Service.
var cniTemplate = mustTemplate("10-wake.conflist", `{
  "cniVersion": "1.0.0",
  "name": "wake",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "{{.BridgeName}}",
      "isGateway": true,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "ranges": [[{"subnet": "{{.PodCIDR}}", "gateway": "{{.PodGateway}}"}]],
        "routes": [{"dst": "0.0.0.0/0"}],
        "dataDir": "{{.Path "cni" "ipam"}}"
      }
    },
    {"type": "portmap", "capabilities": {"portMappings": true}},
    {"type": "loopback"}
  ]
}
`)

// containerdProcess is containerd with the configuration above.
func containerdProcess(cfg *Config) *Process {
	return &Process{
		Name:   containerdName,
		Binary: "/usr/bin/containerd",
		Args:   []string{"--config", cfg.Path("conf", "containerd.toml")},
	}
}

// ctr runs ctr against the cluster's containerd in the k8s.io namespace.
func ctr(ctx context.Context, cfg *Config, args ...string) (string, error) {
	full := append([]string{"--address", cfg.ContainerdSocket(), "--namespace", "k8s.io"}, args...)
	out, err := exec.CommandContext(ctx, "ctr", full...).CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("ctr %s: %w: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// ImportPauseImage loads the sandbox image tarball into containerd.
func ImportPauseImage(ctx context.Context, cfg *Config) error {
	if !exists(cfg.PauseImageTar) {
		return fmt.Errorf("pause image %s missing (make builds it with hack/images)", cfg.PauseImageTar)
	}
	if _, err := ctr(ctx, cfg, "images", "import", "--all-platforms", cfg.PauseImageTar); err != nil {
		return fmt.Errorf("import pause image: %w", err)
	}
	out, err := ctr(ctx, cfg, "images", "list", "--quiet")
	if err != nil {
		return err
	}
	for _, line := range strings.Fields(out) {
		if line == cfg.PauseImage {
			return nil
		}
	}
	return fmt.Errorf("pause image %s not found in containerd after import (have: %s)", cfg.PauseImage, strings.Join(strings.Fields(out), ", "))
}
