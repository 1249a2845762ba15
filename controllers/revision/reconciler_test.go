package revision

import (
	"context"
	"errors"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/reconciler/reconcilertest"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
)

func TestReconcileChildren(t *testing.T) {
	rev := newRevision()
	runReconcileCases(t, []reconcileCase{{
		name:           "new revision gets a Deployment and a Service",
		rev:            rev,
		wantConditions: cond("Unknown/Deploying", "Unknown/Deploying", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		check: func(t *testing.T, c client.Client) {
			svc := &corev1.Service{}
			if err := c.Get(context.Background(), testKey, svc); err != nil {
				t.Fatalf("get service: %v", err)
			}
			if svc.Spec.ClusterIP != corev1.ClusterIPNone {
				t.Errorf("service clusterIP = %q, want None", svc.Spec.ClusterIP)
			}
		},
	}, {
		name:           "initial scale from wake-config",
		config:         map[string]string{config.KeyInitialScale: "3"},
		rev:            rev,
		wantConditions: cond("Unknown/Deploying", "Unknown/Deploying", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](3),
	}, {
		name:           "new revision with initial scale 0 is ready without pods",
		rev:            newRevision(fixture.WithInitialScale(0)),
		wantConditions: cond("True", "True", "True", "False/ScaledToZero"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
		wantEvents: []string{
			`Normal RevisionReady Revision is ready`,
		},
	}, {
		name:         "replicas set by the autoscaler are kept",
		rev:          newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True")),
		objs:         []client.Object{deployment(rev, replicas(7, 7)), service(rev)},
		wantReplicas: ptr.To[int32](7),
		wantActual:   ptr.To[int32](7),
		// Nothing to write: the Deployment is as Wake made it.
		wantConditions: cond("True", "True", "True", "True"),
		wantUpdates:    map[string]int{},
	}, {
		name: "an outdated Deployment is updated and keeps its replicas",
		rev:  rev,
		objs: []client.Object{deployment(newRevision(func(r *servingv1alpha1.Revision) {
			r.Spec.Containers[0].Image = "registry.example/hello:old"
		}), replicas(4, 4)), service(rev)},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](4),
		wantReplicas:   ptr.To[int32](4),
		wantEvents: []string{
			`Normal RevisionReady Revision is ready`,
			`Normal Updated Updated Deployment "hello-00001"`,
		},
		wantUpdates: map[string]int{"*v1.Deployment": 1},
		check: func(t *testing.T, c client.Client) {
			d := &appsv1.Deployment{}
			if err := c.Get(context.Background(), testKey, d); err != nil {
				t.Fatal(err)
			}
			if img := d.Spec.Template.Spec.Containers[0].Image; img != "registry.example/hello:v1" {
				t.Errorf("image = %q, want the revision's", img)
			}
		},
	}, {
		name: "a pod label removed by hand is restored",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1), func(d *appsv1.Deployment) {
			delete(d.Spec.Template.Labels, servingv1alpha1.FunctionLabelKey)
			d.Labels["team"] = "kept"
		}), service(rev)},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Normal RevisionReady Revision is ready`,
			`Normal Updated Updated Deployment "hello-00001"`,
		},
		wantUpdates: map[string]int{"*v1.Deployment": 1},
		check: func(t *testing.T, c client.Client) {
			d := &appsv1.Deployment{}
			if err := c.Get(context.Background(), testKey, d); err != nil {
				t.Fatal(err)
			}
			if v := d.Spec.Template.Labels[servingv1alpha1.FunctionLabelKey]; v != "hello" {
				t.Errorf("pod label %s = %q, want hello", servingv1alpha1.FunctionLabelKey, v)
			}
			if d.Labels["team"] != "kept" {
				t.Error("a label added by someone else was removed")
			}
		},
	}, {
		name: "server defaults do not cause an update",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1), withServerDefaults), service(rev, func(s *corev1.Service) {
			s.Spec.ClusterIPs = []string{corev1.ClusterIPNone}
			s.Spec.Type = corev1.ServiceTypeClusterIP
			s.Spec.SessionAffinity = corev1.ServiceAffinityNone
		})},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Normal RevisionReady Revision is ready`},
		wantUpdates:    map[string]int{},
	}, {
		name: "a Service with other ports is updated",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1)), service(rev, func(s *corev1.Service) {
			s.Spec.Ports[0].Port = 80
		})},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Normal RevisionReady Revision is ready`,
			`Normal Updated Updated Service "hello-00001"`,
		},
		wantUpdates: map[string]int{"*v1.Service": 1},
	}, {
		name:           "a Deployment someone else owns is left alone",
		rev:            rev,
		objs:           []client.Object{unowned(deployment(rev, replicas(2, 2)))},
		wantConditions: cond("False/NotOwned", "False/NotOwned", "Unknown", ""),
		wantReplicas:   ptr.To[int32](2),
		wantEvents: []string{
			`Warning NotOwned Deployment "hello-00001" exists and is not controlled by the revision; Wake leaves it alone`,
		},
		wantUpdates: map[string]int{},
		check: func(t *testing.T, c client.Client) {
			if err := c.Get(context.Background(), testKey, &corev1.Service{}); err == nil {
				t.Error("a Service was created for a revision whose Deployment is not its own")
			}
		},
	}, {
		name:           "a Service someone else owns is left alone",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(1, 1)), unowned(service(rev))},
		wantConditions: cond("False/NotOwned", "False/NotOwned", "True", "True"),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning NotOwned Service "hello-00001" exists and is not controlled by the revision; Wake leaves it alone`,
		},
		wantUpdates: map[string]int{},
	}})
}

func TestReconcileFailures(t *testing.T) {
	rev := newRevision()
	runReconcileCases(t, []reconcileCase{{
		name:           "a Deployment create that fails for a transient reason is returned; the revision keeps deploying",
		rev:            rev,
		funcs:          createFails[*appsv1.Deployment](deploymentTimeout),
		wantErr:        `create deployment team-a/hello-00001: The create operation against deployments.apps could not be completed at this time`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantEvents: []string{
			`Warning CreationFailed Failed to create Deployment "hello-00001": ` + deploymentTimeout.Error(),
			`Warning ReconcileFailed create deployment team-a/hello-00001: ` + deploymentTimeout.Error(),
		},
	}, {
		name:           "an error that does not come from the API server is returned; the revision keeps deploying",
		rev:            rev,
		funcs:          createFails[*appsv1.Deployment](errors.New("connection refused")),
		wantErr:        `create deployment team-a/hello-00001: connection refused`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantEvents: []string{
			`Warning CreationFailed Failed to create Deployment "hello-00001": connection refused`,
			`Warning ReconcileFailed create deployment team-a/hello-00001: connection refused`,
		},
	}, {
		name:           "a failed Service create is returned",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(1, 1))},
		funcs:          createFails[*corev1.Service](apierrors.NewTooManyRequests("slow down", 1)),
		wantErr:        `create service team-a/hello-00001: slow down`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning CreationFailed Failed to create Service "hello-00001": slow down`,
			`Warning ReconcileFailed create service team-a/hello-00001: slow down`,
		},
	}, {
		name: "a failed Deployment update is returned",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1), func(d *appsv1.Deployment) {
			d.Annotations[servingv1alpha1.SpecHashAnnotationKey] = "old"
		}), service(rev)},
		funcs: interceptor.Funcs{Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			return apierrors.NewConflict(deployments, obj.GetName(), errors.New("the object has been modified"))
		}},
		wantErr:        `update deployment team-a/hello-00001: Operation cannot be fulfilled`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning ReconcileFailed update deployment team-a/hello-00001: Operation cannot be fulfilled on ` +
				`deployments.apps "hello-00001": the object has been modified`,
			`Warning UpdateFailed Failed to update Deployment "hello-00001": Operation cannot be fulfilled on ` +
				`deployments.apps "hello-00001": the object has been modified`,
		},
		wantUpdates: map[string]int{"*v1.Deployment": 1},
	}, {
		name: "a failed read of the Deployment is returned",
		rev:  rev,
		funcs: interceptor.Funcs{Get: func(ctx context.Context, c client.WithWatch, key client.ObjectKey, obj client.Object, opts ...client.GetOption) error {
			if _, ok := obj.(*appsv1.Deployment); ok {
				return errors.New("cache not synced")
			}
			return c.Get(ctx, key, obj, opts...)
		}},
		wantErr:        `get deployment team-a/hello-00001: cache not synced`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantEvents:     []string{`Warning ReconcileFailed get deployment team-a/hello-00001: cache not synced`},
	}, {
		name: "a failed pod list is returned",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 0)), service(rev)},
		funcs: interceptor.Funcs{List: func(ctx context.Context, c client.WithWatch, list client.ObjectList, opts ...client.ListOption) error {
			return errors.New("forbidden")
		}},
		wantErr:        `list pods of revision team-a/hello-00001: forbidden`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		// One event for both phases' errors.
		wantEvents: []string{"Warning ReconcileFailed list pods of revision team-a/hello-00001: forbidden\nlist routes in team-a: forbidden"},
	}, {
		name: "a failed status update is returned",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1)), service(rev)},
		funcs: interceptor.Funcs{SubResourceUpdate: func(ctx context.Context, c client.Client, sub string, obj client.Object, opts ...client.SubResourceUpdateOption) error {
			return errors.New("etcd timeout")
		}},
		wantErr: `update status of revision team-a/hello-00001: etcd timeout`,
		// The stored status is unchanged, and no event claims readiness.
		wantConditions: map[string]string{},
		wantReplicas:   ptr.To[int32](1),
	}})
}

// TestReconcileRefusals covers children the API server refuses: the
// revision fails at once with the API server's message, the error is
// returned so that the write is tried again, and a later success clears it.
func TestReconcileRefusals(t *testing.T) {
	rev := newRevision()
	running := newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=Unknown/Deploying"))
	ready := newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True"),
		func(r *servingv1alpha1.Revision) { r.Status.ActualReplicas = ptr.To[int32](1) })
	outdated := func(d *appsv1.Deployment) { d.Annotations[servingv1alpha1.SpecHashAnnotationKey] = "old" }
	runReconcileCases(t, []reconcileCase{{
		name:           "a Deployment refused by a quota fails the revision",
		rev:            rev,
		funcs:          createFails[*appsv1.Deployment](deploymentQuota),
		wantErr:        `create deployment team-a/hello-00001: deployments.apps "hello-00001" is forbidden: exceeded quota: team`,
		wantConditions: cond("False/QuotaExceeded", "False/QuotaExceeded", "Unknown", ""),
		// No readiness event: CreationFailed says it already.
		wantEvents: []string{
			`Warning CreationFailed Failed to create Deployment "hello-00001": ` + deploymentQuota.Error(),
			`Warning ReconcileFailed create deployment team-a/hello-00001: ` + deploymentQuota.Error(),
		},
		check: wantResourcesMessage(deploymentQuota.Error()),
	}, {
		name:           "an invalid Deployment fails the revision",
		rev:            rev,
		funcs:          createFails[*appsv1.Deployment](deploymentInvalid),
		wantErr:        `create deployment team-a/hello-00001: Deployment.apps "hello-00001" is invalid`,
		wantConditions: cond("False/DeploymentRefused", "False/DeploymentRefused", "Unknown", ""),
		wantEvents: []string{
			`Warning CreationFailed Failed to create Deployment "hello-00001": ` + deploymentInvalid.Error(),
			`Warning ReconcileFailed create deployment team-a/hello-00001: ` + deploymentInvalid.Error(),
		},
		check: wantResourcesMessage(deploymentInvalid.Error()),
	}, {
		name:           "a Service refused by a quota fails the revision",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(1, 1))},
		funcs:          createFails[*corev1.Service](serviceQuota),
		wantErr:        `create service team-a/hello-00001: services "hello-00001" is forbidden: exceeded quota: team`,
		wantConditions: cond("False/QuotaExceeded", "False/QuotaExceeded", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning CreationFailed Failed to create Service "hello-00001": ` + serviceQuota.Error(),
			`Warning ReconcileFailed create service team-a/hello-00001: ` + serviceQuota.Error(),
		},
		check: wantResourcesMessage(serviceQuota.Error()),
	}, {
		name:           "a Service denied by an admission webhook fails the revision",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(1, 1))},
		funcs:          createFails[*corev1.Service](serviceDenied),
		wantErr:        `create service team-a/hello-00001: services "hello-00001" is forbidden: admission webhook`,
		wantConditions: cond("False/ServiceRefused", "False/ServiceRefused", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning CreationFailed Failed to create Service "hello-00001": ` + serviceDenied.Error(),
			`Warning ReconcileFailed create service team-a/hello-00001: ` + serviceDenied.Error(),
		},
		check: wantResourcesMessage(serviceDenied.Error()),
	}, {
		name:           "a refused Deployment update fails a revision that is not ready",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(1, 0), outdated), service(rev)},
		funcs:          updateFails[*appsv1.Deployment](deploymentInvalid),
		wantErr:        `update deployment team-a/hello-00001: Deployment.apps "hello-00001" is invalid`,
		wantConditions: cond("False/DeploymentRefused", "False/DeploymentRefused", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning UpdateFailed Failed to update Deployment "hello-00001": ` + deploymentInvalid.Error(),
			`Warning ReconcileFailed update deployment team-a/hello-00001: ` + deploymentInvalid.Error(),
		},
		wantUpdates: map[string]int{"*v1.Deployment": 1},
		check:       wantResourcesMessage(deploymentInvalid.Error()),
	}, {
		// The Deployment as it is still serves: failing the revision
		// would move the Function's traffic to an older one.
		name:           "a refused Deployment update leaves a ready revision serving",
		rev:            ready,
		objs:           []client.Object{deployment(rev, replicas(1, 1), outdated), service(rev)},
		funcs:          updateFails[*appsv1.Deployment](deploymentInvalid),
		wantErr:        `update deployment team-a/hello-00001: Deployment.apps "hello-00001" is invalid`,
		wantConditions: cond("True", "True", "True", ""),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning UpdateFailed Failed to update Deployment "hello-00001": ` + deploymentInvalid.Error(),
			`Warning ReconcileFailed update deployment team-a/hello-00001: ` + deploymentInvalid.Error(),
		},
		wantUpdates: map[string]int{"*v1.Deployment": 1},
	}, {
		name: "a refused Service update fails a revision that is not ready",
		rev:  running,
		objs: []client.Object{deployment(rev, replicas(1, 1)), service(rev, func(s *corev1.Service) {
			s.Spec.Ports[0].Port = 80
		})},
		funcs:          updateFails[*corev1.Service](serviceDenied),
		wantErr:        `update service team-a/hello-00001: services "hello-00001" is forbidden`,
		wantConditions: cond("False/ServiceRefused", "False/ServiceRefused", "True", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Warning UpdateFailed Failed to update Service "hello-00001": ` + serviceDenied.Error(),
			`Warning ReconcileFailed update service team-a/hello-00001: ` + serviceDenied.Error(),
		},
		wantUpdates: map[string]int{"*v1.Service": 1},
	}, {
		name:           "a refused revision whose Deployment is now admitted deploys",
		rev:            newRevision(withConditions("ResourcesAvailable=False/QuotaExceeded")),
		wantConditions: cond("Unknown/Deploying", "Unknown/Deploying", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
	}, {
		name:           "a refused revision whose Service is now admitted is ready",
		rev:            newRevision(withConditions("ResourcesAvailable=False/ServiceRefused")),
		objs:           []client.Object{deployment(rev, replicas(1, 1))},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Normal RevisionReady Revision is ready`,
		},
	}})
}

// TestRefusalIsStable checks that a refusal repeated by the backoff writes
// the revision's status once.
func TestRefusalIsStable(t *testing.T) {
	h := newHarness(t, reconcilertest.Setup{Funcs: createFails[*appsv1.Deployment](deploymentQuota)}, newRevision())
	for range 3 {
		if err := h.Reconcile(testKey); !apierrors.IsForbidden(err) {
			t.Fatalf("Reconcile = %v, want the quota's refusal", err)
		}
	}
	if h.StatusUpdates != 1 {
		t.Errorf("status written %d times, want once", h.StatusUpdates)
	}
}

// Errors as the API server returns them when it refuses a write.
var (
	deployments = schema.GroupResource{Group: "apps", Resource: "deployments"}
	services    = schema.GroupResource{Resource: "services"}

	deploymentTimeout = apierrors.NewServerTimeout(deployments, "create", 1)
	deploymentQuota   = apierrors.NewForbidden(deployments, testName, errors.New("exceeded quota: team, "+
		"requested: count/deployments.apps=1, used: count/deployments.apps=1, limited: count/deployments.apps=1"))
	deploymentInvalid = apierrors.NewInvalid(schema.GroupKind{Group: "apps", Kind: "Deployment"}, testName, field.ErrorList{
		field.Invalid(field.NewPath("spec", "template", "spec", "containers").Index(0).Child("resources", "requests"),
			"2", "must be less than or equal to cpu limit of 1"),
	})
	serviceQuota = apierrors.NewForbidden(services, testName, errors.New("exceeded quota: team, "+
		"requested: services=1, used: services=2, limited: services=2"))
	serviceDenied = apierrors.NewForbidden(services, testName, errors.New(
		`admission webhook "policy.example.com" denied the request: headless Services are not allowed`))
)

// createFails makes every Create of a T fail with err.
func createFails[T client.Object](err error) interceptor.Funcs {
	return interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
		if _, ok := obj.(T); ok {
			return err
		}
		return c.Create(ctx, obj, opts...)
	}}
}

// updateFails makes every Update of a T fail with err.
func updateFails[T client.Object](err error) interceptor.Funcs {
	return interceptor.Funcs{Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
		if _, ok := obj.(T); ok {
			return err
		}
		return c.Update(ctx, obj, opts...)
	}}
}

// wantResourcesMessage checks the message of the revision's
// ResourcesAvailable and Ready conditions.
func wantResourcesMessage(want string) func(t *testing.T, c client.Client) {
	return func(t *testing.T, c client.Client) {
		t.Helper()
		rev := &servingv1alpha1.Revision{}
		if err := c.Get(context.Background(), testKey, rev); err != nil {
			t.Fatal(err)
		}
		for _, ct := range []apis.ConditionType{servingv1alpha1.RevisionConditionResourcesAvailable, apis.ConditionReady} {
			if got := rev.Status.GetCondition(ct).Message; got != want {
				t.Errorf("%s message = %q, want %q", ct, got, want)
			}
		}
	}
}

// withServerDefaults fills in what the API server defaults in a
// Deployment, which the reconciler must not take for a change.
func withServerDefaults(d *appsv1.Deployment) {
	d.Spec.RevisionHistoryLimit = ptr.To[int32](10)
	d.Spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType}
	p := &d.Spec.Template.Spec
	p.RestartPolicy = corev1.RestartPolicyAlways
	p.DNSPolicy = corev1.DNSClusterFirst
	p.SchedulerName = corev1.DefaultSchedulerName
	p.SecurityContext = &corev1.PodSecurityContext{}
	c := &p.Containers[0]
	c.TerminationMessagePath = corev1.TerminationMessagePathDefault
	c.ImagePullPolicy = corev1.PullIfNotPresent
	c.ReadinessProbe.TimeoutSeconds = 1
	c.ReadinessProbe.SuccessThreshold = 1
	c.ReadinessProbe.FailureThreshold = 3
}

func TestReconcileMissingRevision(t *testing.T) {
	h := newHarness(t, reconcilertest.Setup{})
	if err := h.Reconcile(testKey); err != nil {
		t.Fatalf("Reconcile of a deleted revision: %v", err)
	}
	if ev := h.Events(); len(ev) != 0 {
		t.Errorf("events = %v, want none", ev)
	}
}

func TestReconcileIsStable(t *testing.T) {
	rev := newRevision()
	h := newHarness(t, reconcilertest.Setup{}, rev, pod("hello-00001-a", waiting("ErrImagePull", "not found")))
	if err := h.Reconcile(testKey); err != nil {
		t.Fatal(err)
	}
	first := h.StatusUpdates
	h.Events()
	for range 3 {
		if err := h.Reconcile(testKey); err != nil {
			t.Fatal(err)
		}
	}
	if h.StatusUpdates != first {
		t.Errorf("status written %d more times with nothing new", h.StatusUpdates-first)
	}
	if len(h.Updates) != 0 {
		t.Errorf("children updated with nothing new: %v", h.Updates)
	}
	if ev := h.Events(); len(ev) != 0 {
		t.Errorf("events with nothing new: %v", ev)
	}
}
