// Package testenv starts a real etcd and kube-apiserver (envtest) with Wake's
// CRDs installed, for integration tests. The binaries come from bin/, built
// by `make envtest`.
//
// What belongs here: starting and stopping envtest (Start, RunSuite for a
// package's TestMain), what a test needs on it (Namespace, RepoRoot, a
// KubeConfig for tools) and how long to wait on it (Timeout). Waiting
// itself is testutil.Eventually; objects come from internal/fixture. Only
// tests import it.
package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	k8sruntime "k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/wakefn/wake/internal/scheme"
)

// Env is a running API server with Wake's CRDs.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Scheme knows the Kubernetes and Wake types Wake uses.
	Scheme *k8sruntime.Scheme

	env *envtest.Environment
}

// RepoRoot returns the repository's top folder.
func RepoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// Start starts etcd and kube-apiserver and installs the CRDs. Call Stop when
// done.
func Start() (*Env, error) {
	root := RepoRoot()
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		assets = filepath.Join(root, "bin")
	}
	if _, err := os.Stat(filepath.Join(assets, "kube-apiserver")); err != nil {
		return nil, fmt.Errorf("kube-apiserver not found in %s: run 'make envtest': %w", assets, err)
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	return &Env{Config: cfg, Scheme: scheme.New(), env: env}, nil
}

// Stop stops the API server and etcd.
func (e *Env) Stop() error { return e.env.Stop() }

// Client returns a client that talks to the API server directly, without
// a cache, as an administrator.
func (e *Env) Client() (client.Client, error) {
	return client.New(e.Config, client.Options{Scheme: e.Scheme})
}

// StartT starts an API server for t alone, stops it when t ends, and
// returns it with a direct client (Client).
func StartT(t testing.TB) (*Env, client.Client) {
	t.Helper()
	env, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	c, err := env.Client()
	if err != nil {
		t.Fatal(err)
	}
	return env, c
}

// KubeConfig writes a kubeconfig of an administrator (group system:masters)
// of the API server to a file of t's, for tools such as kubectl and helm,
// and returns its path.
func (e *Env) KubeConfig(t testing.TB) string {
	t.Helper()
	u, err := e.env.AddUser(envtest.User{Name: "admin", Groups: []string{"system:masters"}}, nil)
	if err != nil {
		t.Fatalf("add an administrator: %v", err)
	}
	b, err := u.KubeConfig()
	if err != nil {
		t.Fatalf("administrator's kubeconfig: %v", err)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}
