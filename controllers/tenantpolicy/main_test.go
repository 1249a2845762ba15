package tenantpolicy

import (
	"os"
	"sync"
	"testing"

	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/testenv"
)

var (
	// k8s talks to the envtest API server directly, without a cache.
	k8s client.Client
	// env is the envtest API server.
	env *testenv.Env
	// store is the envtest reconciler's wake-config.
	store = config.NewStore()
	// envUsage is the envtest reconciler's Usage.
	envUsage = &lockedUsage{m: usage{}}
)

// lockedUsage is a usage the tests change while the reconciler reads it.
type lockedUsage struct {
	mu sync.Mutex
	m  usage
}

func (u *lockedUsage) InFlight(ns string) float64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.m[ns]
}

func (u *lockedUsage) set(ns string, v float64) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.m[ns] = v
}

// TestMain starts an API server and a manager running only the
// TenantPolicy reconciler, then the tests; the table tests ignore both.
func TestMain(m *testing.M) {
	os.Exit(testenv.RunSuite(m, testenv.Suite{
		Setup: func(mgr ctrl.Manager) error {
			return withUsage(envUsage)(reconciler.NewDeps(mgr, store)).SetupWithManager(mgr)
		},
		Ready: func(e *testenv.Env, c client.Client) { env, k8s = e, c },
	}))
}
