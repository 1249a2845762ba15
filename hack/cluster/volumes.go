package main

import (
	"fmt"
	"os"
)

// hostVolume is a folder under the cluster root that a pod of config/local
// mounts as a hostPath volume, with the user and group the pod runs as.
type hostVolume struct {
	Dir      string // relative to the root
	UID, GID int
}

// hostVolumes are the folders up prepares for hostPath volumes. The cluster
// has no storage provisioner, so a PersistentVolumeClaim would stay Pending;
// config/local gives such pods a folder on the node instead, which outlives
// the pod and goes with the root at down. But kubelet creates a missing
// hostPath folder owned by root with mode 0755, and a pod's fsGroup does
// not apply to hostPath volumes, so a pod running as a non-root user could
// not write there: up creates each folder for its user.
var hostVolumes = []hostVolume{
	// wake-broker's data (config/broker); Wake's pods run as 65532.
	{Dir: "volumes/wake-broker", UID: 65532, GID: 65532},
}

// EnsureHostVolumes creates vols under the root, owned by their users with
// mode 0750, and gives existing ones that owner and mode back.
func EnsureHostVolumes(cfg *Config, vols []hostVolume) error {
	for _, v := range vols {
		path := cfg.Path(v.Dir)
		if err := os.MkdirAll(path, 0o750); err != nil {
			return fmt.Errorf("create host volume %s: %w", path, err)
		}
		if err := os.Chown(path, v.UID, v.GID); err != nil {
			return fmt.Errorf("host volume %s: %w", path, err)
		}
		if err := os.Chmod(path, 0o750); err != nil {
			return fmt.Errorf("host volume %s: %w", path, err)
		}
	}
	return nil
}
