// Package integration runs all of Wake's reconcilers, wired as in
// cmd/controller, and a real activator against a real API server (envtest).
package integration

import (
	"context"
	"os"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers"
	"github.com/wakefn/wake/internal/testenv"
)

var (
	k8s     client.Client
	restCfg *rest.Config
)

// waitTimeout is how long a test waits for the controllers or the activator
// to catch up.
const waitTimeout = 20 * time.Second

func TestMain(m *testing.M) {
	opts := controllers.Options{SystemNamespace: "wake-system"}
	os.Exit(testenv.RunSuite(m, testenv.Suite{
		Cache: controllers.CacheOptions(opts),
		Setup: func(mgr ctrl.Manager) error {
			_, err := controllers.Setup(mgr, opts)
			return err
		},
		Ready: func(env *testenv.Env, c client.Client) { k8s, restCfg = c, env.Config },
	}))
}

// namespace creates a namespace for one test.
func namespace(t *testing.T, name string) string {
	t.Helper()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
	if err := k8s.Create(context.Background(), ns); err != nil {
		t.Fatalf("create namespace %s: %v", name, err)
	}
	return name
}
