package main

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMain runs main itself when the test binary is started as the plugin
// (see run), so that the tests see its exit code and output as kubectl
// would.
func TestMain(m *testing.M) {
	if os.Getenv("KUBECTL_WAKE_TEST_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// run runs the plugin with args and returns its standard output, error
// output and exit code.
func run(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "KUBECTL_WAKE_TEST_MAIN=1", "HOME="+t.TempDir())
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func TestExitCodes(t *testing.T) {
	// A kubeconfig naming a server nobody listens on: every read fails.
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: c, context: {cluster: c, user: u, namespace: team-a}}]
current-context: c
`), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     string // a part of it
		stderrHead string // how it starts
	}{
		{"help", []string{"--help"}, 0, "kubectl wake [command]", ""},
		{"status help documents the phases", []string{"status", "--help"}, 0, "PodReadyToStartContainers", ""},
		{"unknown command", []string{"frobnicate"}, 1, "", `error: unknown command "frobnicate"`},
		{"missing name", []string{"status", "function"}, 1, "", "error: accepts 1 arg(s), received 0"},
		{"unknown output format", []string{"--kubeconfig", kubeconfig, "usage", "fn", "hello", "-o", "wide"}, 1, "", `error: unknown output format "wide"`},
		{"unreachable cluster", []string{"--kubeconfig", kubeconfig, "--request-timeout", "2s", "status", "fn", "hello"}, 1, "", "error: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stdout, stderr, code := run(t, tt.args...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.HasPrefix(stderr, tt.stderrHead) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q, stderr starting %q",
					code, stdout, stderr, tt.code, tt.stdout, tt.stderrHead)
			}
		})
	}
}
