package revision

import (
	"context"
	"errors"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/config"
)

func TestReconcileChildren(t *testing.T) {
	rev := newRevision()
	runReconcileCases(t, []reconcileCase{{
		name:           "new revision gets a Deployment and a Service",
		rev:            rev,
		wantConditions: cond("Unknown/Deploying", "Unknown/Deploying", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantEvents: []string{
			`Normal Created Created Deployment "hello-00001"`,
			`Normal Created Created Service "hello-00001"`,
		},
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
		wantEvents: []string{
			`Normal Created Created Deployment "hello-00001"`,
			`Normal Created Created Service "hello-00001"`,
		},
	}, {
		name:           "new revision with initial scale 0 is ready without pods",
		rev:            newRevision(withInitialScale(0)),
		wantConditions: cond("True", "True", "True", "False/ScaledToZero"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
		wantEvents: []string{
			`Normal Created Created Deployment "hello-00001"`,
			`Normal Created Created Service "hello-00001"`,
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
		name: "a failed Deployment create is returned",
		rev:  rev,
		funcs: interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, ok := obj.(*appsv1.Deployment); ok {
				return errors.New("admission refused")
			}
			return c.Create(ctx, obj, opts...)
		}},
		wantErr:        `create deployment team-a/hello-00001: admission refused`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantEvents:     []string{`Warning CreationFailed Failed to create Deployment "hello-00001": admission refused`},
	}, {
		name: "a failed Service create is returned",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1))},
		funcs: interceptor.Funcs{Create: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.CreateOption) error {
			if _, ok := obj.(*corev1.Service); ok {
				return errors.New("quota: services")
			}
			return c.Create(ctx, obj, opts...)
		}},
		wantErr:        `create service team-a/hello-00001: quota: services`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Warning CreationFailed Failed to create Service "hello-00001": quota: services`},
	}, {
		name: "a failed Deployment update is returned",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 1), func(d *appsv1.Deployment) {
			d.Annotations[resources.SpecHashAnnotationKey] = "old"
		}), service(rev)},
		funcs: interceptor.Funcs{Update: func(ctx context.Context, c client.WithWatch, obj client.Object, opts ...client.UpdateOption) error {
			return errors.New("conflict")
		}},
		wantErr:        `update deployment team-a/hello-00001: conflict`,
		wantConditions: cond("Unknown", "Unknown", "Unknown", ""),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Warning UpdateFailed Failed to update Deployment "hello-00001": conflict`},
		wantUpdates:    map[string]int{"*v1.Deployment": 1},
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
	h := newHarness(t, nil, interceptor.Funcs{})
	if err := h.reconcile(); err != nil {
		t.Fatalf("Reconcile of a deleted revision: %v", err)
	}
	if ev := h.events(); len(ev) != 0 {
		t.Errorf("events = %v, want none", ev)
	}
}

func TestReconcileIsStable(t *testing.T) {
	rev := newRevision()
	h := newHarness(t, nil, interceptor.Funcs{}, rev, pod("hello-00001-a", waiting("ErrImagePull", "not found")))
	if err := h.reconcile(); err != nil {
		t.Fatal(err)
	}
	first := h.statusUpdates
	h.events()
	for range 3 {
		if err := h.reconcile(); err != nil {
			t.Fatal(err)
		}
	}
	if h.statusUpdates != first {
		t.Errorf("status written %d more times with nothing new", h.statusUpdates-first)
	}
	if len(h.updates) != 0 {
		t.Errorf("children updated with nothing new: %v", h.updates)
	}
	if ev := h.events(); len(ev) != 0 {
		t.Errorf("events with nothing new: %v", ev)
	}
}
