//go:build e2e

// Package e2e is Wake's end-to-end suite: it applies Functions and Routes to
// a real cluster with Wake installed (`make dev`) and checks, through the
// activator Service, what clients get. Run it with `make e2e`.
//
// The helpers the tests share live in files of their own:
//
//   - main_test.go: TestMain and suite: the cluster's client, the paths of
//     the kubeconfig and kubectl, the activator's address and the domain;
//   - cluster_test.go: namespaces (deleted, and dumped on failure, when a
//     test ends), create, kubectl, conditions (condition, conditionIs,
//     describe) and the waits for a Function or Route condition;
//   - objects_test.go: newFunction with its fnOption functions (withGreeting,
//     withEnv, withScaleBounds, ...), newRoute and functionHost;
//   - http_test.go: requests through the activator (get, getAll),
//     requireAll and waitServing;
//   - load_test.go: steady loads at a fixed rate, and pause;
//   - attacker_test.go: the attacker pod of the hostile tests and the
//     tenant's resource limits.
//
// A test waits with testutil.Eventually and a check that returns what it
// saw as an error; a wait that must not fail the test itself (the corpus's
// files, a revision's way to zero) uses poll.Until at pollInterval.
package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"

	wakescheme "github.com/wakefn/wake/internal/scheme"
)

// systemNamespace is where Wake runs.
const systemNamespace = "wake-system"

// suite is the state every test shares: set once by TestMain.
var suite struct {
	// kubeconfig is the path of the cluster's kubeconfig.
	kubeconfig string
	// kubectl is the path of bin/kubectl.
	kubectl string
	// client talks to the cluster's API server.
	client client.Client
	// activator is the activator Service's address, "ip:80".
	activator string
	// domain is wake-config's domain.
	domain string
}

// TestMain connects to the cluster and reads the activator's address and the
// domain before any test runs.
func TestMain(m *testing.M) {
	if err := setup(); err != nil {
		fmt.Fprintf(os.Stderr, "e2e: setup: %v\n", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

// setup fills suite.
func setup() error {
	root := repoRoot()
	suite.kubeconfig = os.Getenv("KUBECONFIG")
	if suite.kubeconfig == "" {
		suite.kubeconfig = filepath.Join(root, "bin", "kubeconfig")
	}
	suite.kubectl = filepath.Join(root, "bin", "kubectl")
	cfg, err := clientcmd.BuildConfigFromFlags("", suite.kubeconfig)
	if err != nil {
		return fmt.Errorf("load kubeconfig %s: %w", suite.kubeconfig, err)
	}
	cfg.QPS, cfg.Burst = 50, 100
	c, err := client.New(cfg, client.Options{Scheme: wakescheme.New()})
	if err != nil {
		return fmt.Errorf("new client: %w", err)
	}
	suite.client = c

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc := &corev1.Service{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-activator"}, svc); err != nil {
		return fmt.Errorf("get activator service: %w", err)
	}
	if svc.Spec.ClusterIP == "" || svc.Spec.ClusterIP == corev1.ClusterIPNone {
		return fmt.Errorf("activator service has no ClusterIP")
	}
	suite.activator = fmt.Sprintf("%s:80", svc.Spec.ClusterIP)
	cm := &corev1.ConfigMap{}
	if err := c.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: "wake-config"}, cm); err != nil {
		return fmt.Errorf("get wake-config: %w", err)
	}
	suite.domain = cm.Data["domain"]
	if suite.domain == "" {
		return fmt.Errorf("wake-config has no domain")
	}
	return nil
}

// repoRoot is the repository's root, two levels above this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}
