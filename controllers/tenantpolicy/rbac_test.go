package tenantpolicy

import (
	"testing"

	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/controllers/reconciler"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
)

// TestEnvRBACMarkersAreEnough reconciles a policy, with a Revision to
// count, as a user that holds only what the RBAC markers grant: every read
// and the status write must be allowed.
func TestEnvRBACMarkersAreEnough(t *testing.T) {
	ctx := t.Context()
	user := "wake-tenantpolicy-rbac"
	cfg := testenv.As(t, env.Config, user, testenv.MarkerRules(t, "reconciler.go"))
	ns := testenv.Namespace(t, k8s, "tp")
	setLabels(t, ns, map[string]string{"env.wake.dev/rbac": "yes"})
	if err := k8s.Create(ctx, fixture.Revision(ns, "api-00001")); err != nil {
		t.Fatal(err)
	}
	createPolicy(t, fixture.TenantPolicy("env-rbac", fixture.WithNamespaceLabel("env.wake.dev/rbac", "yes")))

	direct, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		t.Fatal(err)
	}
	writes := 0
	// A default the suite's reconciler does not have, so that this
	// reconcile's status differs from whatever the suite wrote and is
	// written. A conflict with the suite's write is no error, and is
	// authorized before it is found.
	store := config.NewStore()
	if err := store.Update(map[string]string{config.KeyTenantMaxHeldRequests: "9"}); err != nil {
		t.Fatal(err)
	}
	r := &Reconciler{Deps: reconciler.Deps{Client: counting{Client: direct, writes: &writes}, Recorder: events.NewFakeRecorder(10), Config: store}}
	if _, err := r.Reconcile(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Name: "env-rbac"}}); err != nil {
		t.Fatalf("reconcile as %s: %v", user, err)
	}
	if writes != 1 {
		t.Errorf("%d status writes as %s, want 1", writes, user)
	}
}

// counting is a client that counts its status writes.
type counting struct {
	client.Client
	writes *int
}

func (c counting) Status() client.SubResourceWriter {
	*c.writes++
	return c.Client.Status()
}
