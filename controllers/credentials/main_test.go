package credentials

import (
	"os"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/testenv"
)

// systemNamespace holds the mirrors in the tests.
const systemNamespace = "wake-system"

// k8s talks to the envtest API server directly, without a cache.
var k8s client.Client

// TestMain starts an API server and a manager running only the credentials
// reconciler, with the production cache limits on Secrets.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunSuite(m, testenv.Suite{
		Cache: cache.Options{ByObject: CacheByObject(systemNamespace)},
		Setup: func(mgr ctrl.Manager) error {
			return (&Reconciler{Client: mgr.GetClient(), Reader: mgr.GetAPIReader(), SystemNamespace: systemNamespace}).SetupWithManager(mgr)
		},
		Ready: func(_ *testenv.Env, c client.Client) { k8s = c },
	}))
}
