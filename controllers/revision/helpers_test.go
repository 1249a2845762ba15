package revision

import (
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/controllers/revision/resources"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/fixture"
)

const (
	testNamespace = "team-a"
	testName      = "hello-00001"
)

var testKey = types.NamespacedName{Namespace: testNamespace, Name: testName}

// newRevision returns the test Revision as the Function reconciler creates
// it and the API server stores it, changed by opts.
func newRevision(opts ...fixture.RevisionOption) *servingv1alpha1.Revision {
	return fixture.Revision(testNamespace, testName, append([]fixture.RevisionOption{
		fixture.WithRevisionUID("11111111-2222-4333-8444-555555555555"),
		fixture.WithRevisionGeneration(1),
		fixture.WithFunctionLabel("hello"),
	}, opts...)...)
}

// withConditions sets the revision's status as a previous reconcile left
// it; each entry is "Type=Status" or "Type=Status/Reason".
func withConditions(conds ...string) fixture.RevisionOption {
	return func(r *servingv1alpha1.Revision) {
		r.Status.InitializeConditions()
		for _, c := range conds {
			typ, rest, _ := strings.Cut(c, "=")
			status, reason, _ := strings.Cut(rest, "/")
			s := &r.Status
			switch apis.ConditionType(typ) {
			case servingv1alpha1.RevisionConditionContainerHealthy:
				switch corev1.ConditionStatus(status) {
				case corev1.ConditionTrue:
					s.MarkContainerHealthy()
				case corev1.ConditionFalse:
					s.MarkContainerUnhealthy(reason, "earlier failure")
				}
			case servingv1alpha1.RevisionConditionResourcesAvailable:
				switch corev1.ConditionStatus(status) {
				case corev1.ConditionTrue:
					s.MarkResourcesAvailable()
				case corev1.ConditionFalse:
					s.MarkResourcesUnavailable(reason, "earlier failure")
				}
			default:
				panic("unknown condition " + typ)
			}
		}
	}
}

// deployment returns the Deployment the reconciler would create for rev,
// as the API server stores it, changed by mutate.
func deployment(rev *servingv1alpha1.Revision, mutate ...func(*appsv1.Deployment)) *appsv1.Deployment {
	d := resources.MakeDeployment(rev, config.Default())
	d.TypeMeta = metav1.TypeMeta{}
	for _, m := range mutate {
		m(d)
	}
	return d
}

// service returns the Service the reconciler would create for rev.
func service(rev *servingv1alpha1.Revision, mutate ...func(*corev1.Service)) *corev1.Service {
	s := resources.MakeService(rev)
	s.TypeMeta = metav1.TypeMeta{}
	for _, m := range mutate {
		m(s)
	}
	return s
}

// replicas sets the Deployment's spec and ready replicas.
func replicas(want, ready int32) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Spec.Replicas = ptr.To(want)
		d.Status.Replicas = want
		d.Status.ReadyReplicas = ready
		d.Status.AvailableReplicas = ready
	}
}

// deploymentCondition adds a condition to the Deployment's status.
func deploymentCondition(t appsv1.DeploymentConditionType, status corev1.ConditionStatus, reason, message string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) {
		d.Status.Conditions = append(d.Status.Conditions, appsv1.DeploymentCondition{
			Type: t, Status: status, Reason: reason, Message: message,
		})
	}
}

// unowned makes an object belong to no Revision.
func unowned[T client.Object](obj T) T {
	obj.SetOwnerReferences(nil)
	return obj
}

// pod returns a running pod of the test revision.
func pod(name string, mutate ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name:      name,
			Namespace: testNamespace,
			Labels:    map[string]string{servingv1alpha1.RevisionLabelKey: testName},
		},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning,
			ContainerStatuses: []corev1.ContainerStatus{{
				Name:  resources.DefaultContainerName,
				State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}},
			}},
		},
	}
	for _, m := range mutate {
		m(p)
	}
	return p
}

// waiting makes the pod's container wait for reason.
func waiting(reason, message string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Phase = corev1.PodPending
		p.Status.ContainerStatuses[0].State = corev1.ContainerState{
			Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: message},
		}
	}
}

// lastExit records an earlier exit of the pod's container.
func lastExit(code int32, reason, message string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses[0].LastTerminationState = corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason, Message: message},
		}
	}
}

// podCondition sets a condition of the pod.
func podCondition(t corev1.PodConditionType, status corev1.ConditionStatus, reason, message string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{
			Type: t, Status: status, Reason: reason, Message: message,
		})
	}
}
