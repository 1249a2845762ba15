package main

import (
	"fmt"
	"os"
	"os/exec"
)

// buildStatic builds src into a static Linux binary at out.
func buildStatic(src source, out string) error {
	cmd := exec.Command("go", "build", "-ldflags", "-s -w", "-o", out, src.Package)
	cmd.Dir = src.Module
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux")
	cmd.Stdout = os.Stderr
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build %s in %s: %w", src.Package, src.Module, err)
	}
	return nil
}
