package testenv

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"
)

// Suite is what a package's TestMain sets up with RunSuite.
type Suite struct {
	// Cache limits what the manager caches, as in production.
	Cache cache.Options
	// Setup registers the reconcilers under test with the manager.
	Setup func(ctrl.Manager) error
	// Ready receives the environment and a direct (uncached) client before
	// the tests run.
	Ready func(env *Env, c client.Client)
}

// RunSuite starts envtest and a manager configured by s, runs the package's
// tests and returns their exit code for os.Exit. The controllers log to
// stderr, which go test shows for a failing test.
func RunSuite(m *testing.M, s Suite) int {
	ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true)))
	env, err := Start()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() { _ = env.Stop() }()
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{
		Scheme:                 env.Scheme,
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
		Cache:                  s.Cache,
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := s.Setup(mgr); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	c, err := env.Client()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s.Ready(env, c)
	return m.Run()
}

// Timeout bounds a test's wait for the API server and the controllers on
// it to settle: pass it to testutil.Eventually.
const Timeout = 20 * time.Second

// Namespace creates a namespace with a generated name for one test.
func Namespace(t *testing.T, c client.Client, prefix string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: prefix + "-"}}
	if err := c.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return ns.Name
}
