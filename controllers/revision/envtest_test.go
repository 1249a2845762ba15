package revision

import (
	"context"
	"fmt"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/testenv"
	"github.com/wakefn/wake/internal/testutil"
)

// The envtest scenarios run the real reconciler, with its watches, against
// a real API server (see main_test.go).

func TestEnvCreatesDeploymentAndService(t *testing.T) {
	ns := newNamespace(t)
	rev := createRevision(t, ns, fixture.WithRevisionLabel("app", "hello"), fixture.WithInitialScale(2),
		func(r *servingv1alpha1.Revision) {
			r.Spec.Containers[0].Port = &servingv1alpha1.ServingPort{ContainerPort: 9000, Protocol: servingv1alpha1.ProtocolH2C}
		})
	key := client.ObjectKeyFromObject(rev)

	d := getDeployment(t, key)
	if !metav1.IsControlledBy(d, rev) {
		t.Errorf("Deployment owner references = %+v, want the revision as controller", d.OwnerReferences)
	}
	if got := ptr.Deref(d.Spec.Replicas, -1); got != 2 {
		t.Errorf("replicas = %d, want the initial scale 2", got)
	}
	pod := d.Spec.Template
	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("pods run %d containers, want only the user's", len(pod.Spec.Containers))
	}
	ports := pod.Spec.Containers[0].Ports
	if len(ports) != 1 || ports[0].ContainerPort != 9000 || ports[0].Name != "h2c" {
		t.Errorf("container ports = %+v, want h2c 9000", ports)
	}
	for k, v := range map[string]string{
		servingv1alpha1.RevisionLabelKey: "hello-00001", servingv1alpha1.FunctionLabelKey: "hello", "app": "hello",
	} {
		if pod.Labels[k] != v || d.Labels[k] != v {
			t.Errorf("label %s: pod %q, Deployment %q, want %q", k, pod.Labels[k], d.Labels[k], v)
		}
	}

	svc := &corev1.Service{}
	testutil.Eventually(t, testenv.Timeout, "the Service exists", func(ctx context.Context) error { return k8s.Get(ctx, key, svc) })
	if !metav1.IsControlledBy(svc, rev) {
		t.Errorf("Service owner references = %+v, want the revision as controller", svc.OwnerReferences)
	}
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("clusterIP = %q, want None", svc.Spec.ClusterIP)
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "h2c" || svc.Spec.Ports[0].TargetPort.IntVal != 9000 {
		t.Errorf("Service ports = %+v, want h2c to 9000", svc.Spec.Ports)
	}
	if svc.Spec.Selector[servingv1alpha1.RevisionLabelKey] != "hello-00001" {
		t.Errorf("Service selector = %v", svc.Spec.Selector)
	}

	testutil.Eventually(t, testenv.Timeout, "the revision is deploying", func(ctx context.Context) error {
		return revisionCondition(ctx, key, servingv1alpha1.RevisionConditionResourcesAvailable, corev1.ConditionUnknown, servingv1alpha1.ReasonDeploying)
	})
}

func TestEnvReadyAndReplicasKept(t *testing.T) {
	ns := newNamespace(t)
	rev := createRevision(t, ns)
	key := client.ObjectKeyFromObject(rev)
	d := getDeployment(t, key)

	// The autoscaler scales through the scale subresource.
	scale := &autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 4}}
	if err := k8s.SubResource("scale").Update(context.Background(), d, client.WithSubResourceBody(scale)); err != nil {
		t.Fatalf("scale: %v", err)
	}
	setDeploymentStatus(t, key, 4, 3)

	testutil.Eventually(t, testenv.Timeout, "the revision is ready", func(ctx context.Context) error {
		return revisionCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "")
	})
	got := &servingv1alpha1.Revision{}
	if err := k8s.Get(context.Background(), key, got); err != nil {
		t.Fatal(err)
	}
	if a := ptr.Deref(got.Status.ActualReplicas, -1); a != 3 {
		t.Errorf("actualReplicas = %d, want 3", a)
	}
	if c := got.Status.GetCondition(servingv1alpha1.RevisionConditionContainerHealthy); !c.IsTrue() {
		t.Errorf("ContainerHealthy = %+v, want True", c)
	}
	after := &appsv1.Deployment{}
	if err := k8s.Get(context.Background(), key, after); err != nil {
		t.Fatal(err)
	}
	if r := ptr.Deref(after.Spec.Replicas, -1); r != 4 {
		t.Errorf("replicas = %d after reconciling, want the autoscaler's 4", r)
	}
	// The reconciles that followed the scale and status changes wrote no spec.
	if after.Generation != d.Generation+1 {
		t.Errorf("Deployment generation = %d, want %d (created, then scaled once)", after.Generation, d.Generation+1)
	}

	// Scaled to zero, it stays ready.
	if err := k8s.SubResource("scale").Update(context.Background(), after, client.WithSubResourceBody(
		&autoscalingv1.Scale{Spec: autoscalingv1.ScaleSpec{Replicas: 0}})); err != nil {
		t.Fatalf("scale to zero: %v", err)
	}
	setDeploymentStatus(t, key, 0, 0)
	testutil.Eventually(t, testenv.Timeout, "the revision is inactive", func(ctx context.Context) error {
		return revisionCondition(ctx, key, servingv1alpha1.RevisionConditionActive, corev1.ConditionFalse, servingv1alpha1.ReasonScaledToZero)
	})
	if err := revisionCondition(context.Background(), key, apis.ConditionReady, corev1.ConditionTrue, ""); err != nil {
		t.Errorf("after scaling to zero: %v", err)
	}
}

func TestEnvUnownedDeployment(t *testing.T) {
	ns := newNamespace(t)
	squatter := unowned(deployment(newRevision()))
	squatter.Namespace = ns
	squatter.Annotations = nil
	squatter.Spec.Template.Spec.Containers[0].Image = "someone/else"
	if err := k8s.Create(context.Background(), squatter); err != nil {
		t.Fatal(err)
	}
	rev := createRevision(t, ns)
	key := client.ObjectKeyFromObject(rev)

	testutil.Eventually(t, testenv.Timeout, "the revision reports the Deployment it does not own", func(ctx context.Context) error {
		return revisionCondition(ctx, key, servingv1alpha1.RevisionConditionResourcesAvailable, corev1.ConditionFalse, servingv1alpha1.ReasonNotOwned)
	})
	d := &appsv1.Deployment{}
	if err := k8s.Get(context.Background(), key, d); err != nil {
		t.Fatal(err)
	}
	if len(d.OwnerReferences) != 0 || d.Spec.Template.Spec.Containers[0].Image != "someone/else" {
		t.Errorf("the Deployment was adopted or changed: owners %+v, image %q", d.OwnerReferences, d.Spec.Template.Spec.Containers[0].Image)
	}
	if err := k8s.Get(context.Background(), key, &corev1.Service{}); !apierrors.IsNotFound(err) {
		t.Errorf("get Service = %v, want NotFound", err)
	}

	// Once the squatter is gone, the revision makes its own.
	if err := k8s.Delete(context.Background(), d); err != nil {
		t.Fatal(err)
	}
	testutil.Eventually(t, testenv.Timeout, "the revision's own Deployment replaces it", func(ctx context.Context) error {
		d := &appsv1.Deployment{}
		if err := k8s.Get(ctx, key, d); err != nil {
			return err
		}
		if !metav1.IsControlledBy(d, rev) {
			return fmt.Errorf("not controlled by the revision yet")
		}
		return nil
	})
}

func TestEnvImagePullBackOff(t *testing.T) {
	ns := newNamespace(t)
	rev := createRevision(t, ns)
	key := client.ObjectKeyFromObject(rev)
	d := getDeployment(t, key)

	// envtest has no kubelet: make the pod the ReplicaSet would have made,
	// and give it the status kubelet would report.
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "hello-00001-abcde", Namespace: ns, Labels: d.Spec.Template.Labels},
		Spec:       *d.Spec.Template.Spec.DeepCopy(),
	}
	if err := k8s.Create(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	p.Status = corev1.PodStatus{
		Phase: corev1.PodPending,
		ContainerStatuses: []corev1.ContainerStatus{{
			Name:  "function",
			Image: "registry.example/hello:v1",
			State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
				Reason: "ImagePullBackOff", Message: `Back-off pulling image "registry.example/hello:v1"`,
			}},
		}},
	}
	if err := k8s.Status().Update(context.Background(), p); err != nil {
		t.Fatal(err)
	}

	testutil.Eventually(t, testenv.Timeout, "the container is unhealthy", func(ctx context.Context) error {
		return revisionCondition(ctx, key, servingv1alpha1.RevisionConditionContainerHealthy, corev1.ConditionFalse, "ImagePullBackOff")
	})
	if err := revisionCondition(context.Background(), key, apis.ConditionReady, corev1.ConditionFalse, "ImagePullBackOff"); err != nil {
		t.Error(err)
	}
}

// TestEnvReachabilityFollowsFunctionAndRoutes moves a Function's latest
// ready revision away from a revision and pins it with a Route, and checks
// that status.reachability follows each change without the revision itself
// changing.
func TestEnvReachabilityFollowsFunctionAndRoutes(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	fn := fixture.Function(ns, "hello")
	if err := k8s.Create(ctx, fn); err != nil {
		t.Fatalf("create function: %v", err)
	}
	setFunctionStatus := func(latestCreated, latestReady string) {
		t.Helper()
		testutil.Eventually(t, testenv.Timeout, "set the Function's status", func(ctx context.Context) error {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(fn), fn); err != nil {
				return err
			}
			fn.Status.LatestCreatedRevisionName, fn.Status.LatestReadyRevisionName = latestCreated, latestReady
			return k8s.Status().Update(ctx, fn)
		})
	}
	setFunctionStatus("hello-00001", "")
	rev := createRevision(t, ns, fixture.WithRevisionOwner(fn))
	key := client.ObjectKeyFromObject(rev)
	want := func(r servingv1alpha1.Reachability) {
		t.Helper()
		testutil.Eventually(t, testenv.Timeout, "the revision is "+string(r), func(ctx context.Context) error {
			got := &servingv1alpha1.Revision{}
			if err := k8s.Get(ctx, key, got); err != nil {
				return err
			}
			if got.Status.Reachability != r {
				return fmt.Errorf("reachability %q", got.Status.Reachability)
			}
			return nil
		})
	}

	want(servingv1alpha1.ReachabilityPending)
	setFunctionStatus("hello-00001", "hello-00001")
	want(servingv1alpha1.ReachabilityReachable)
	setFunctionStatus("hello-00002", "hello-00002")
	want(servingv1alpha1.ReachabilityUnreachable)

	rt := pinningRoute("pin", rev.Name)
	rt.Namespace = ns
	if err := k8s.Create(ctx, rt); err != nil {
		t.Fatalf("create route: %v", err)
	}
	want(servingv1alpha1.ReachabilityReachable)
	if err := k8s.Delete(ctx, rt); err != nil {
		t.Fatalf("delete route: %v", err)
	}
	want(servingv1alpha1.ReachabilityUnreachable)
}

// TestEnvQuotaRefusal has a ResourceQuota refuse a revision's Deployment:
// the revision fails with the API server's message, and deploys once the
// quota is raised.
func TestEnvQuotaRefusal(t *testing.T) {
	ns := newNamespace(t)
	ctx := context.Background()
	hard := func(n string) corev1.ResourceList {
		return corev1.ResourceList{"count/deployments.apps": resource.MustParse(n)}
	}
	quota := &corev1.ResourceQuota{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "no-deployments"},
		Spec:       corev1.ResourceQuotaSpec{Hard: hard("0")},
	}
	if err := k8s.Create(ctx, quota); err != nil {
		t.Fatal(err)
	}
	// envtest runs no quota controller: write the usage it would.
	setQuota := func(n string) {
		t.Helper()
		testutil.Eventually(t, testenv.Timeout, "set the quota to "+n, func(ctx context.Context) error {
			if err := k8s.Get(ctx, client.ObjectKeyFromObject(quota), quota); err != nil {
				return err
			}
			quota.Spec.Hard = hard(n)
			if err := k8s.Update(ctx, quota); err != nil {
				return err
			}
			quota.Status = corev1.ResourceQuotaStatus{Hard: hard(n), Used: hard("0")}
			return k8s.Status().Update(ctx, quota)
		})
	}
	setQuota("0")

	rev := createRevision(t, ns)
	key := client.ObjectKeyFromObject(rev)
	testutil.Eventually(t, testenv.Timeout, "the revision fails on the quota", func(ctx context.Context) error {
		return revisionCondition(ctx, key, apis.ConditionReady, corev1.ConditionFalse, servingv1alpha1.ReasonQuotaExceeded)
	})
	got := &servingv1alpha1.Revision{}
	if err := k8s.Get(ctx, key, got); err != nil {
		t.Fatal(err)
	}
	msg := got.Status.GetCondition(servingv1alpha1.RevisionConditionResourcesAvailable).Message
	if !strings.Contains(msg, `deployments.apps "hello-00001" is forbidden: exceeded quota: no-deployments`) {
		t.Errorf("ResourcesAvailable message = %q, want the API server's refusal", msg)
	}

	setQuota("1")
	getDeployment(t, key)
	testutil.Eventually(t, testenv.Timeout, "the revision deploys", func(ctx context.Context) error {
		return revisionCondition(ctx, key, servingv1alpha1.RevisionConditionResourcesAvailable, corev1.ConditionUnknown, servingv1alpha1.ReasonDeploying)
	})
}

// TestEnvTenantQuota: the autoscaler's merge patch of status.autoscaler
// with reason TenantQuotaExceeded (as kube.StatusRecorder writes it) makes
// a serving revision show PodsCreated=False and stay Ready, and a later
// decision clears it.
func TestEnvTenantQuota(t *testing.T) {
	ns := newNamespace(t)
	rev := createRevision(t, ns)
	key := client.ObjectKeyFromObject(rev)
	setDeploymentStatus(t, key, 1, 1)
	testutil.Eventually(t, testenv.Timeout, "the revision is ready", func(ctx context.Context) error {
		return revisionCondition(ctx, key, apis.ConditionReady, corev1.ConditionTrue, "")
	})
	patchReason := func(reason string) {
		t.Helper()
		patch := fmt.Sprintf(`{"status":{"desiredReplicas":1,"autoscaler":{"reason":%q}}}`, reason)
		if err := k8s.Status().Patch(context.Background(), rev.DeepCopy(), client.RawPatch(types.MergePatchType, []byte(patch))); err != nil {
			t.Fatal(err)
		}
	}
	patchReason(servingv1alpha1.ReasonTenantQuotaExceeded)
	testutil.Eventually(t, testenv.Timeout, "the revision says it is denied pods", func(ctx context.Context) error {
		return revisionCondition(ctx, key, servingv1alpha1.RevisionConditionPodsCreated, corev1.ConditionFalse, servingv1alpha1.ReasonTenantQuotaExceeded)
	})
	if err := revisionCondition(context.Background(), key, apis.ConditionReady, corev1.ConditionTrue, ""); err != nil {
		t.Errorf("while denied more pods: %v", err)
	}
	patchReason("Stable")
	testutil.Eventually(t, testenv.Timeout, "the denial is cleared", func(ctx context.Context) error {
		got := &servingv1alpha1.Revision{}
		if err := k8s.Get(ctx, key, got); err != nil {
			return err
		}
		if c := got.Status.GetCondition(servingv1alpha1.RevisionConditionPodsCreated); c != nil {
			return fmt.Errorf("PodsCreated = %+v, want none", c)
		}
		return nil
	})
}
