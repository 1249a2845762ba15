package main

import (
	"fmt"
	"os"
	"os/exec"
)

// importImage loads a docker-archive tarball into the Kubernetes namespace
// (k8s.io) of the containerd listening on address, where kubelet finds it.
func importImage(address, tarball string) error {
	cmd := exec.Command("ctr", "--address", address, "--namespace", "k8s.io",
		"images", "import", "--all-platforms", tarball)
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("import %s into containerd at %s: %w", tarball, address, err)
	}
	return nil
}
