//go:build e2e

package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/test/bench/internal/coldlane"
	"github.com/wakefn/wake/test/bench/internal/load"
)

const (
	wakeNamespace    = "wake-system"
	knativeNamespace = "knative-serving"
	image            = "wake/hello:dev"
	greeting         = "side by side"
	greetingEnv      = "GREETING"
	directName       = "direct"
	// readyTimeout bounds waiting for a function to serve or reach zero.
	readyTimeout = 4 * time.Minute
	pollInterval = 100 * time.Millisecond
)

// Lanes.
const (
	laneDirect  = "direct"
	laneKnative = "knative"
	laneWake    = "wake"
)

// lane is one path to the hello image.
type lane struct {
	// Name is laneDirect, laneKnative or laneWake.
	Name string
	// Target is where its requests go.
	Target load.Target
	// Deployment names the Deployment whose pods serve it (cold lanes).
	Deployment string
}

// bench holds the cluster client and the lanes set up in its namespace.
type bench struct {
	c  client.WithWatch
	ns string
	// warm lanes keep a pod; cold lanes scale to zero.
	warm map[string]lane
	cold map[string]lane
}

// setup creates the namespace, the direct pod, and a warm and a cold
// Knative Service and Wake Function, and waits until each serves.
func (b *bench) setup(ctx context.Context) error {
	wakeAddr, err := b.serviceAddr(ctx, wakeNamespace, "wake-activator")
	if err != nil {
		return err
	}
	knAddr, err := b.serviceAddr(ctx, knativeNamespace, "activator-service")
	if err != nil {
		return fmt.Errorf("%w (is Knative installed? make bench-knative installs it)", err)
	}
	cm := &corev1.ConfigMap{}
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: wakeNamespace, Name: "wake-config"}, cm); err != nil {
		return fmt.Errorf("get wake-config: %w", err)
	}
	suffix := make([]byte, 3)
	_, _ = rand.Read(suffix)
	b.ns = "bench-knative-" + hex.EncodeToString(suffix)
	knLane := func(svc string) lane {
		rev := svc + "-00001"
		return lane{Name: laneKnative, Deployment: rev + "-deployment", Target: load.Target{
			URL: "http://" + knAddr + "/",
			Header: http.Header{
				"Knative-Serving-Namespace": {b.ns},
				"Knative-Serving-Revision":  {rev},
			},
		}}
	}
	wakeLane := func(fn string) lane {
		return lane{Name: laneWake, Deployment: fn + "-00001", Target: load.Target{
			URL: "http://" + wakeAddr + "/", Host: fn + "." + b.ns + "." + cm.Data["domain"],
		}}
	}
	b.warm = map[string]lane{laneKnative: knLane("kn-warm"), laneWake: wakeLane("wake-warm")}
	b.cold = map[string]lane{laneKnative: knLane("kn-cold"), laneWake: wakeLane("wake-cold")}

	objs := []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}},
		directDeployment(b.ns),
		knativeService(b.ns, "kn-warm", true),
		knativeService(b.ns, "kn-cold", false),
		wakeFunction(b.ns, "wake-warm", true),
		wakeFunction(b.ns, "wake-cold", false),
	}
	for _, o := range objs {
		if err := b.c.Create(ctx, o); err != nil {
			return fmt.Errorf("create %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	fmt.Fprintf(os.Stderr, "namespace %s: waiting for the direct pod and four functions to serve\n", b.ns)
	ip, err := b.directPodIP(ctx)
	if err != nil {
		return err
	}
	b.warm[laneDirect] = lane{Name: laneDirect, Target: load.Target{URL: "http://" + net.JoinHostPort(ip, "8080") + "/"}}
	for _, l := range []lane{b.warm[laneDirect], b.warm[laneKnative], b.warm[laneWake], b.cold[laneKnative], b.cold[laneWake]} {
		if err := waitServes(ctx, l); err != nil {
			return fmt.Errorf("%s lane %s: %w", l.Name, l.Target.Header.Get("Knative-Serving-Revision")+l.Target.Host, err)
		}
	}
	return nil
}

// teardown deletes the namespace and waits (bounded) until no Knative
// object is left in it, so that Knative's controllers finish with them
// before make bench-knative removes Knative. The namespace's other objects
// go on being deleted afterwards.
func (b *bench) teardown() {
	if b.ns == "" {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: b.ns}}
	if err := b.c.Delete(ctx, ns); err != nil {
		fmt.Fprintf(os.Stderr, "delete namespace %s: %v\n", b.ns, err)
		return
	}
	if _, err := poll.Until(ctx, 500*time.Millisecond, func(ctx context.Context) error {
		for _, kind := range knativeKinds {
			list := &unstructured.UnstructuredList{}
			list.SetAPIVersion("serving.knative.dev/v1")
			list.SetKind(kind + "List")
			err := b.c.List(ctx, list, client.InNamespace(b.ns))
			if apierrors.IsNotFound(err) {
				continue
			}
			if err != nil {
				return err
			}
			if len(list.Items) > 0 {
				return fmt.Errorf("%d %s left", len(list.Items), kind)
			}
		}
		return nil
	}); err != nil {
		fmt.Fprintf(os.Stderr, "Knative objects in %s not gone: %v\n", b.ns, err)
	}
}

// knativeKinds are the Knative objects a Knative Service makes.
var knativeKinds = []string{"Service", "Configuration", "Route", "Revision"}

// serviceAddr returns host:80 of a Service's cluster IP.
func (b *bench) serviceAddr(ctx context.Context, ns, name string) (string, error) {
	svc := &corev1.Service{}
	if err := b.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, svc); err != nil {
		return "", fmt.Errorf("get service %s/%s: %w", ns, name, err)
	}
	return net.JoinHostPort(svc.Spec.ClusterIP, "80"), nil
}

// directPodIP waits for the direct Deployment's ready pod and returns its IP.
func (b *bench) directPodIP(ctx context.Context) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	var ip string
	_, err := poll.Until(ctx, pollInterval, func(ctx context.Context) error {
		pods := &corev1.PodList{}
		if err := b.c.List(ctx, pods, client.InNamespace(b.ns), client.MatchingLabels{"app": directName}); err != nil {
			return poll.Stop(err)
		}
		for _, p := range pods.Items {
			for _, c := range p.Status.Conditions {
				if c.Type == corev1.PodReady && c.Status == corev1.ConditionTrue && p.Status.PodIP != "" {
					ip = p.Status.PodIP
					return nil
				}
			}
		}
		return errors.New("no ready direct pod")
	})
	return ip, err
}

// waitServes polls until the lane answers 200 with the greeting.
func waitServes(ctx context.Context, l lane) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	hc := &http.Client{Timeout: 10 * time.Second}
	_, err := poll.Until(ctx, 500*time.Millisecond, func(ctx context.Context) error {
		code, body, err := get(ctx, hc, l.Target)
		if err != nil {
			return err
		}
		if code != http.StatusOK || body != greeting+"\n" {
			return fmt.Errorf("%d %q", code, body)
		}
		return nil
	})
	return err
}

// get sends one GET to t and reads the answer.
func get(ctx context.Context, hc *http.Client, t load.Target) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, t.URL, nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = t.Host
	for k, v := range t.Header {
		req.Header[k] = v
	}
	resp, err := hc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, string(body), err
}

// waitZero waits until both cold lanes' Deployments are at zero.
func (b *bench) waitZero(ctx context.Context) error {
	for _, l := range []lane{b.cold[laneKnative], b.cold[laneWake]} {
		wait, cancel := context.WithTimeout(ctx, readyTimeout)
		_, err := poll.Until(wait, pollInterval, coldlane.AtZero(b.c, b.ns, l.Deployment, coldlane.LivePods))
		cancel()
		if err != nil {
			return fmt.Errorf("%s at zero: %w", l.Deployment, err)
		}
	}
	return nil
}

func helloContainer() corev1.Container {
	return corev1.Container{
		Name:            "hello",
		Image:           image,
		ImagePullPolicy: corev1.PullNever,
		Env:             []corev1.EnvVar{{Name: greetingEnv, Value: greeting}},
		Ports:           []corev1.ContainerPort{{ContainerPort: 8080}},
	}
}

// directDeployment is one plain pod of the hello image.
func directDeployment(ns string) *appsv1.Deployment {
	labels := map[string]string{"app": directName}
	c := helloContainer()
	c.ReadinessProbe = &corev1.Probe{
		ProbeHandler:  corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: "/", Port: intstr.FromInt32(8080)}},
		PeriodSeconds: 1,
	}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: directName},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{c}},
			},
		},
	}
}

// knativeService is a Knative Service of the hello image: kept at one pod
// when warm, else at zero after a 6 s window (the grace period is set in
// config-autoscaler by hack/knative/render.sh).
func knativeService(ns, name string, warm bool) *unstructured.Unstructured {
	annotations := map[string]any{
		"autoscaling.knative.dev/window":                "6s",
		"autoscaling.knative.dev/target-burst-capacity": "-1",
	}
	if warm {
		annotations["autoscaling.knative.dev/min-scale"] = "1"
	}
	u := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "serving.knative.dev/v1",
		"kind":       "Service",
		"metadata":   map[string]any{"namespace": ns, "name": name},
		"spec": map[string]any{"template": map[string]any{
			"metadata": map[string]any{"annotations": annotations},
			"spec": map[string]any{"containers": []any{map[string]any{
				"image":           image,
				"imagePullPolicy": string(corev1.PullNever),
				"env":             []any{map[string]any{"name": greetingEnv, "value": greeting}},
				"ports":           []any{map[string]any{"containerPort": int64(8080)}},
			}}},
		}},
	}}
	return u
}

// wakeFunction is a Wake Function of the hello image: kept at one pod when
// warm, else at zero after a 6 s window with no grace period.
func wakeFunction(ns, name string, warm bool) *servingv1alpha1.Function {
	scaling := &servingv1alpha1.Scaling{
		StableWindow:           &metav1.Duration{Duration: 6 * time.Second},
		ScaleToZeroGracePeriod: &metav1.Duration{Duration: 0},
	}
	if warm {
		scaling.MinScale = ptr.To[int32](1)
	}
	return &servingv1alpha1.Function{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: servingv1alpha1.FunctionSpec{Template: servingv1alpha1.RevisionTemplate{
			Spec: servingv1alpha1.RevisionSpec{
				Containers: []servingv1alpha1.Container{{
					Image:           image,
					ImagePullPolicy: corev1.PullNever,
					Env:             []servingv1alpha1.EnvVar{{Name: greetingEnv, Value: greeting}},
				}},
				Scaling: scaling,
			},
		}},
	}
}
