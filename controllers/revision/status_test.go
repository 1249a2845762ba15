package revision

import (
	"context"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

func TestReconcileStatus(t *testing.T) {
	rev := newRevision()
	runReconcileCases(t, []reconcileCase{{
		name:           "ready pods make the revision ready",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(2, 2)), service(rev)},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](2),
		wantReplicas:   ptr.To[int32](2),
		wantEvents:     []string{`Normal RevisionReady Revision is ready`},
		wantUpdates:    map[string]int{},
	}, {
		name: "an exceeded quota makes resources unavailable",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 0), deploymentCondition(appsv1.DeploymentReplicaFailure,
			corev1.ConditionTrue, "FailedCreate", `pods "hello-00001-abc" is forbidden: exceeded quota: compute`)), service(rev)},
		wantConditions: cond("False/FailedCreate", "False/FailedCreate", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Warning FailedCreate pods "hello-00001-abc" is forbidden: exceeded quota: compute`},
	}, {
		name: "a serving revision whose scale-up a quota refuses says so and keeps serving",
		rev:  newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True")),
		objs: []client.Object{deployment(rev, replicas(3, 1), deploymentCondition(appsv1.DeploymentReplicaFailure,
			corev1.ConditionTrue, "FailedCreate", `pods "hello-00001-abc" is forbidden: exceeded quota: pods`)), service(rev)},
		wantConditions: withPodsCreated(cond("True", "True", "True", "True"), "False/FailedCreate"),
		wantActual:     ptr.To[int32](1),
		wantReplicas:   ptr.To[int32](3),
		wantEvents:     []string{`Warning FailedCreate pods "hello-00001-abc" is forbidden: exceeded quota: pods`},
	}, {
		name: "a refused scale-up that clears leaves no trace",
		rev: newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True"), func(r *servingv1alpha1.Revision) {
			r.Status.MarkPodsNotCreated("FailedCreate", "exceeded quota: pods")
		}),
		objs:           []client.Object{deployment(rev, replicas(3, 3)), service(rev)},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](3),
		wantReplicas:   ptr.To[int32](3),
		wantEvents:     nil,
	}, {
		name: "a rollout past its deadline makes resources unavailable",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 0), deploymentCondition(appsv1.DeploymentProgressing,
			corev1.ConditionFalse, "ProgressDeadlineExceeded", `ReplicaSet "hello-00001-abc" has timed out progressing.`)), service(rev)},
		wantConditions: cond("False/ProgressDeadlineExceeded", "False/ProgressDeadlineExceeded", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Warning ProgressDeadlineExceeded ReplicaSet "hello-00001-abc" has timed out progressing.`},
	}, {
		name: "an image that cannot be pulled makes the container unhealthy",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 0)), service(rev),
			pod("hello-00001-a", waiting("ImagePullBackOff", `Back-off pulling image "registry.example/hello:v1"`))},
		wantConditions: cond("False/ImagePullBackOff", "Unknown/Deploying", "False/ImagePullBackOff", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Warning ImagePullBackOff Back-off pulling image "registry.example/hello:v1"`},
	}, {
		name: "a crash loop reports the exit code and termination message",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 0)), service(rev),
			pod("hello-00001-a", waiting("CrashLoopBackOff", "back-off 10s restarting failed container"),
				lastExit(3, "Error", "panic: missing DATABASE_URL\n"))},
		wantConditions: cond("False/ExitCode3", "Unknown/Deploying", "False/ExitCode3", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Warning ExitCode3 container "function" exited with code 3: panic: missing DATABASE_URL`},
	}, {
		name: "a pod scaled down with a non-zero exit says nothing",
		rev:  newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True")),
		objs: []client.Object{deployment(rev, replicas(1, 0)), service(rev),
			pod("hello-00001-a", lastExit(143, "Error", ""), func(p *corev1.Pod) {
				p.DeletionTimestamp = ptr.To(metav1.Now())
				p.Finalizers = []string{"example.com/hold"}
			})},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantUpdates:    map[string]int{},
	}, {
		name: "an unschedulable pod shows why the revision is deploying",
		rev:  rev,
		objs: []client.Object{deployment(rev, replicas(1, 0)), service(rev),
			pod("hello-00001-a", waiting("", ""), podCondition(corev1.PodScheduled, corev1.ConditionFalse,
				corev1.PodReasonUnschedulable, "0/3 nodes are available: 3 Insufficient cpu."))},
		wantConditions: cond("Unknown/Unschedulable", "Unknown/Unschedulable", "Unknown", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
	}, {
		name: "a ready pod heals an earlier container failure",
		rev:  newRevision(withConditions("ContainerHealthy=False/ImagePullBackOff")),
		objs: []client.Object{deployment(rev, replicas(1, 0)), service(rev),
			pod("hello-00001-a", podCondition(corev1.PodReady, corev1.ConditionTrue, "", ""))},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
		wantEvents:     []string{`Normal RevisionReady Revision is ready`},
	}, {
		name:           "a ready revision stays ready when scaled to zero",
		rev:            newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True")),
		objs:           []client.Object{deployment(rev, replicas(0, 0)), service(rev)},
		wantConditions: cond("True", "True", "True", "False/ScaledToZero"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
	}, {
		name:           "a ready revision stays ready while it wakes",
		rev:            newRevision(withConditions("ContainerHealthy=True", "ResourcesAvailable=True")),
		objs:           []client.Object{deployment(rev, replicas(1, 0)), service(rev), pod("hello-00001-a")},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](1),
	}, {
		name:           "a revision scaled to zero before it was ever ready fails",
		rev:            rev,
		objs:           []client.Object{deployment(rev, replicas(0, 0)), service(rev)},
		wantConditions: cond("False/InitialScaleNotReached", "False/InitialScaleNotReached", "Unknown", "False/ScaledToZero"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
		wantEvents:     []string{`Warning InitialScaleNotReached The revision was scaled to zero before any of its pods became ready.`},
	}, {
		name:           "a failed container stays failed at zero, with resources available",
		rev:            newRevision(withConditions("ContainerHealthy=False/ExitCode1")),
		objs:           []client.Object{deployment(rev, replicas(0, 0)), service(rev)},
		wantConditions: cond("False/ExitCode1", "True", "False/ExitCode1", "False/ScaledToZero"),
		wantActual:     ptr.To[int32](0),
		wantReplicas:   ptr.To[int32](0),
	}, {
		name: "the autoscaler's status fields are kept",
		rev: newRevision(func(r *servingv1alpha1.Revision) {
			r.Status.DesiredReplicas = ptr.To[int32](3)
			r.Status.Autoscaler = &servingv1alpha1.AutoscalerStatus{
				PanicMode:         true,
				StableConcurrency: ptr.To(resource.MustParse("2500m")),
				Reason:            "Panic",
			}
		}),
		objs:           []client.Object{deployment(rev, replicas(3, 2)), service(rev)},
		wantConditions: cond("True", "True", "True", "True"),
		wantActual:     ptr.To[int32](2),
		wantReplicas:   ptr.To[int32](3),
		wantEvents:     []string{`Normal RevisionReady Revision is ready`},
		check: func(t *testing.T, c client.Client) {
			got := &servingv1alpha1.Revision{}
			if err := c.Get(context.Background(), testKey, got); err != nil {
				t.Fatal(err)
			}
			if ptr.Deref(got.Status.DesiredReplicas, 0) != 3 || got.Status.Autoscaler == nil ||
				!got.Status.Autoscaler.PanicMode || got.Status.Autoscaler.Reason != "Panic" {
				t.Errorf("autoscaler fields changed: desired %v, autoscaler %+v", got.Status.DesiredReplicas, got.Status.Autoscaler)
			}
		},
	}})
}

// withPodsCreated adds the PodsCreated condition to a cond map.
func withPodsCreated(conds map[string]string, podsCreated string) map[string]string {
	conds[string(servingv1alpha1.RevisionConditionPodsCreated)] = podsCreated
	return conds
}
