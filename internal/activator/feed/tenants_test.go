package feed

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/go-logr/logr"
	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	logf "sigs.k8s.io/controller-runtime/pkg/log"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/tenant"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy/inputs"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// recordingLimits keeps the last resolution it was given.
type recordingLimits struct {
	mu   sync.Mutex
	last *tenant.Table
}

func (r *recordingLimits) SetLimits(res *tenant.Table) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.last = res
}

// maxInFlight returns ns's maxInFlight in the last resolution.
func (r *recordingLimits) maxInFlight(ns string) (int32, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.last == nil {
		return 0, fmt.Errorf("nothing resolved yet")
	}
	return r.last.For(ns).MaxInFlight, nil
}

// TestTenantWatcher runs the TenantWatcher against a real API server
// (envtest): a policy's limits reach the namespaces it selects by label,
// and follow a label change, a policy change, its deletion and a change of
// wake-config's defaults; the cache keeps policies and namespaces stripped;
// the activator's generated RBAC role is enough.
func TestTenantWatcher(t *testing.T) {
	logf.SetLogger(logr.Discard())
	env, c := testenv.StartT(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The activator's cache runs as a user holding only the activator's
	// generated ClusterRole: the RBAC markers must be enough.
	apiCache, err := NewCache(asActivator(t, env.Config), env.Scheme)
	if err != nil {
		t.Fatal(err)
	}
	store := config.NewStore()
	limits := &recordingLimits{}
	w := &TenantWatcher{Cache: apiCache, Config: store, Limits: limits, Log: testr.New(t)}
	done := make(chan struct{}, 2)
	go func() { _ = apiCache.Start(ctx); done <- struct{}{} }()
	go func() { _ = w.Start(ctx); done <- struct{}{} }()
	defer func() { cancel(); <-done; <-done }()

	ns := testenv.Namespace(t, c, "tenant")
	other := testenv.Namespace(t, c, "tenant")
	tp := &servingv1alpha1.TenantPolicy{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "feed-test-", Annotations: map[string]string{"big": "x"}},
		Spec: servingv1alpha1.TenantPolicySpec{
			NamespaceSelector: metav1.LabelSelector{MatchLabels: map[string]string{"feed-test-tier": "free"}},
			Limits:            servingv1alpha1.TenantLimits{MaxInFlight: ptr.To[int32](7)},
		},
	}
	if err := c.Create(ctx, tp); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Delete(context.Background(), tp) })
	want := func(what, namespace string, n int32) {
		t.Helper()
		testutil.Eventually(t, testenv.Timeout, what, func(context.Context) error {
			got, err := limits.maxInFlight(namespace)
			if err == nil && got != n {
				err = fmt.Errorf("maxInFlight of %s = %d, want %d", namespace, got, n)
			}
			return err
		})
	}
	want("no label: no limit", ns, 0)
	if !w.Loaded() {
		t.Error("Loaded false after a resolution")
	}

	label := func(name, v string) {
		t.Helper()
		n := &corev1.Namespace{}
		if err := c.Get(ctx, client.ObjectKey{Name: name}, n); err != nil {
			t.Fatal(err)
		}
		if n.Labels == nil {
			n.Labels = map[string]string{}
		}
		n.Labels["feed-test-tier"] = v
		if err := c.Update(ctx, n); err != nil {
			t.Fatal(err)
		}
	}
	label(ns, "free")
	want("labelled namespace selected", ns, 7)
	want("other namespace not selected", other, 0)

	tp.Spec.Limits.MaxInFlight = ptr.To[int32](3)
	if err := c.Update(ctx, tp); err != nil {
		t.Fatal(err)
	}
	want("policy changed", ns, 3)

	// The cache keeps what Resolve reads, nothing more.
	var cached servingv1alpha1.TenantPolicy
	if err := apiCache.Get(ctx, client.ObjectKeyFromObject(tp), &cached); err != nil {
		t.Fatal(err)
	}
	if len(cached.Annotations) != 0 || len(cached.ManagedFields) != 0 || cached.Spec.Limits.MaxInFlight == nil {
		t.Errorf("cached policy not stripped to its spec: %+v", cached.ObjectMeta)
	}
	nsMeta := inputs.NamespaceMeta()
	if err := apiCache.Get(ctx, client.ObjectKey{Name: ns}, nsMeta); err != nil {
		t.Fatal(err)
	}
	if len(nsMeta.ManagedFields) != 0 || len(nsMeta.Annotations) != 0 || nsMeta.Labels["feed-test-tier"] != "free" {
		t.Errorf("cached namespace not stripped to name and labels: %+v", nsMeta.ObjectMeta)
	}

	if err := store.Update(map[string]string{config.KeyTenantMaxInFlight: "11"}); err != nil {
		t.Fatal(err)
	}
	want("wake-config default for a namespace no policy selects", other, 11)
	label(ns, "paid")
	want("label removed: the default", ns, 11)
	label(ns, "free")
	want("selected again", ns, 3)
	if err := c.Delete(ctx, tp); err != nil {
		t.Fatal(err)
	}
	want("policy deleted: the default", ns, 11)
}

// asActivator returns cfg impersonating a user that holds only the
// activator's ClusterRole, as config/rbac/activator/role.yaml (generated
// from this package's RBAC markers) grants it.
func asActivator(t *testing.T, cfg *rest.Config) *rest.Config {
	t.Helper()
	return testenv.As(t, cfg, "wake-activator-rbac-test", testenv.RoleRules(t, "config/rbac/activator/role.yaml"))
}
