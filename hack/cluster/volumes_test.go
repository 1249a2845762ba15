package main

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestEnsureHostVolumes creates a host volume, then repairs one whose owner
// and mode were changed: both times it ends owned by its user, mode 0750.
func TestEnsureHostVolumes(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Root = t.TempDir()
	vols := []hostVolume{{Dir: "volumes/v", UID: os.Getuid(), GID: os.Getgid()}}
	path := filepath.Join(cfg.Root, "volumes", "v")
	check := func() {
		t.Helper()
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if !fi.IsDir() || fi.Mode().Perm() != 0o750 || int(st.Uid) != os.Getuid() || int(st.Gid) != os.Getgid() {
			t.Errorf("%s: dir %v, mode %v, owner %d:%d; want a folder, 0750, %d:%d",
				path, fi.IsDir(), fi.Mode().Perm(), st.Uid, st.Gid, os.Getuid(), os.Getgid())
		}
	}
	if err := EnsureHostVolumes(cfg, vols); err != nil {
		t.Fatal(err)
	}
	check()
	if err := os.Chmod(path, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := EnsureHostVolumes(cfg, vols); err != nil {
		t.Fatal(err)
	}
	check()
}

// TestHostVolumesMatchLocal: every hostPath of config/local's patches is a
// host volume that up prepares, under the default root.
func TestHostVolumesMatchLocal(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "local", "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	prepared := map[string]bool{}
	for _, v := range hostVolumes {
		prepared[DefaultConfig().Path(v.Dir)] = true
	}
	found := 0
	lines := strings.Split(string(data), "\n")
	for i := 1; i < len(lines); i++ {
		path, ok := strings.CutPrefix(strings.TrimSpace(lines[i]), "path: ")
		if !ok || strings.TrimSpace(lines[i-1]) != "hostPath:" {
			continue // a JSON patch's path
		}
		found++
		if !prepared[path] {
			t.Errorf("config/local mounts hostPath %s, which up does not prepare (hostVolumes)", path)
		}
	}
	if found != len(hostVolumes) {
		t.Errorf("config/local mounts %d hostPath volumes, up prepares %d", found, len(hostVolumes))
	}
}
