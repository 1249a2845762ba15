//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/poll"
)

// upgradeTag is the tag the upgrade test gives Wake's images for its
// rollout: the same content under a new name, so the Deployments roll out
// new pods exactly as for a new version.
const upgradeTag = "e2e-upgrade"

// TestUpgradeInPlace upgrades Wake in place under 100 req/s to a warm
// function: the controller's and the activator's images are tagged anew in
// the node's containerd and both Deployments are patched to them, as an
// operator's `kubectl apply` of a new release would. The load lasts until
// both rollouts are done and every old activator pod is gone; every request
// must be served. The original images are restored at the end.
func TestUpgradeInPlace(t *testing.T) {
	waitControllersReady(t)
	waitActivatorsReady(t)
	ns := newNamespace(t, "upgrade")
	const (
		greeting = "upgraded"
		rate     = 100
		limit    = 80 * time.Second
	)
	host := steadyFunction(t, ns, "steady", greeting)

	deployments := map[string]int32{"wake-controller": controllerReplicas, "wake-activator": activatorReplicas}
	originals := map[string]string{}
	for name := range deployments {
		image := deploymentImage(t, name)
		originals[name] = image
		retagged := retag(image, upgradeTag)
		ctrImages(t, "tag", "--force", fullRef(image), fullRef(retagged))
		t.Cleanup(func() { ctrImages(t, "rm", fullRef(retagged)) })
	}
	t.Cleanup(func() {
		for name, image := range originals {
			setDeploymentImage(t, name, image)
		}
		waitControllersReady(t)
		waitActivatorsReady(t)
		waitNoOldActivators(t)
	})

	var rolled time.Duration
	rs := loadUntil(freshConnClient(), host, rate, limit, func(ctx context.Context) {
		start := time.Now()
		if !poll.Sleep(ctx, 2*time.Second) {
			return
		}
		for name, image := range originals {
			setDeploymentImage(t, name, retag(image, upgradeTag))
		}
		_, err := poll.Until(ctx, 250*time.Millisecond, func(ctx context.Context) error {
			for name, want := range deployments {
				if err := rolledOut(ctx, name, want); err != nil {
					return err
				}
			}
			return activatorPodsAre(ctx, activatorReplicas)
		})
		if err != nil {
			t.Errorf("upgrade not rolled out within %s: %v", limit, err)
			return
		}
		rolled = time.Since(start)
	})
	ok := func(r response) bool { return r.err == nil && r.code == http.StatusOK && r.body == greeting+"\n" }
	served, pct := successRate(rs, ok)
	t.Logf("controller and activator upgraded (images retagged %s) under %d req/s on new connections, rolled out at %s: %d of %d served (%.2f%%); failures: %s",
		upgradeTag, rate, rolled.Round(100*time.Millisecond), served, len(rs), pct, failureKinds(rs, ok))
	if served != len(rs) {
		t.Errorf("%d of %d requests failed during the upgrade; first failures (send time: outcome):%s",
			len(rs)-served, len(rs), failureLines(rs, ok, 20))
	}
}

// deploymentImage is the image of the first container of a Deployment in
// wake-system.
func deploymentImage(t *testing.T, name string) string {
	t.Helper()
	d := &appsv1.Deployment{}
	if err := suite.client.Get(context.Background(), client.ObjectKey{Namespace: systemNamespace, Name: name}, d); err != nil {
		t.Fatalf("get deployment %s: %v", name, err)
	}
	return d.Spec.Template.Spec.Containers[0].Image
}

// setDeploymentImage patches the image of a Deployment's first container.
func setDeploymentImage(t *testing.T, name, image string) {
	t.Helper()
	d := &appsv1.Deployment{}
	ctx := context.Background()
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: name}, d); err != nil {
		t.Errorf("get deployment %s: %v", name, err)
		return
	}
	before := d.DeepCopy()
	d.Spec.Template.Spec.Containers[0].Image = image
	if err := suite.client.Patch(ctx, d, client.MergeFrom(before)); err != nil {
		t.Errorf("set the image of %s to %s: %v", name, image, err)
	}
}

// rolledOut checks that a Deployment has want replicas, all updated and
// ready, and no others.
func rolledOut(ctx context.Context, name string, want int32) error {
	d := &appsv1.Deployment{}
	if err := suite.client.Get(ctx, client.ObjectKey{Namespace: systemNamespace, Name: name}, d); err != nil {
		return err
	}
	s := d.Status
	if s.ObservedGeneration != d.Generation || s.Replicas != want || s.ReadyReplicas != want || s.UpdatedReplicas != want {
		return fmt.Errorf("%s: generation %d, observed %d, replicas=%d ready=%d updated=%d",
			name, d.Generation, s.ObservedGeneration, s.Replicas, s.ReadyReplicas, s.UpdatedReplicas)
	}
	return nil
}

// activatorPodsAre checks that exactly want activator pods exist: the old
// ones have finished draining and are gone.
func activatorPodsAre(ctx context.Context, want int32) error {
	pods, err := listPods(ctx, activatorLabels)
	if err != nil {
		return err
	}
	if len(pods) != int(want) {
		return fmt.Errorf("%d activator pods, want %d", len(pods), want)
	}
	return nil
}

// waitNoOldActivators waits until no activator pod is left draining.
func waitNoOldActivators(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if _, err := poll.Until(ctx, 250*time.Millisecond, func(ctx context.Context) error {
		return activatorPodsAre(ctx, activatorReplicas)
	}); err != nil {
		t.Errorf("old activator pods left: %v", err)
	}
}

// retag replaces the tag of image ("name:tag", "name" for latest).
func retag(image, tag string) string {
	name := image
	if i := strings.LastIndex(image, ":"); i > strings.LastIndex(image, "/") {
		name = image[:i]
	}
	return name + ":" + tag
}

// fullRef is the name containerd stores an image under: kubelet
// normalizes "wake/x:dev" to "docker.io/wake/x:dev".
func fullRef(image string) string {
	first, _, _ := strings.Cut(image, "/")
	if strings.ContainsAny(first, ".:") || first == "localhost" {
		return image
	}
	if !strings.Contains(image, "/") {
		return "docker.io/library/" + image
	}
	return "docker.io/" + image
}

// ctrImages runs `ctr images <args>` against the local cluster's
// containerd (namespace k8s.io, where kubelet's images are).
func ctrImages(t *testing.T, args ...string) {
	t.Helper()
	root := os.Getenv("CLUSTER_ROOT")
	if root == "" {
		root = "/var/lib/wake-cluster"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	full := append([]string{"--address", filepath.Join(root, "containerd", "containerd.sock"), "-n", "k8s.io", "images"}, args...)
	out, err := exec.CommandContext(ctx, "ctr", full...).CombinedOutput()
	if err != nil {
		t.Errorf("ctr %s: %v\n%s", strings.Join(full, " "), err, out)
	}
}
