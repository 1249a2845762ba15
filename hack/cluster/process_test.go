package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestIsOurProcessThroughSymlink: a binary named through a symlinked
// directory, as a worktree's bin linked to another checkout's, is the
// process's own executable.
func TestIsOurProcessThroughSymlink(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	exe, err = filepath.EvalSymlinks(exe)
	if err != nil {
		t.Fatal(err)
	}
	link := filepath.Join(t.TempDir(), "bin")
	if err := os.Symlink(filepath.Dir(exe), link); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		binary string
		want   bool
	}{
		{"the path itself", exe, true},
		{"through a symlinked directory", filepath.Join(link, filepath.Base(exe)), true},
		{"another binary", filepath.Join(link, "not-"+filepath.Base(exe)), false},
	}
	for _, tt := range tests {
		if got := isOurProcess(os.Getpid(), tt.binary); got != tt.want {
			t.Errorf("%s: isOurProcess(self, %s) = %v, want %v", tt.name, tt.binary, got, tt.want)
		}
	}
}
