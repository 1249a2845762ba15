package kubectlwake_test

import (
	"encoding/json"
	"strings"
	"testing"

	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/utils/ptr"
	"knative.dev/pkg/apis"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/golden"
	"github.com/wakefn/wake/internal/kubectlwake"
	"github.com/wakefn/wake/internal/testenv"
)

// Revision options of these tests: what the revision reconciler and the
// autoscaler write.

// withPods sets actualReplicas and desiredReplicas, and Active from them.
func withPods(actual, desired int32) fixture.RevisionOption {
	return func(r *servingv1alpha1.Revision) {
		r.Status.ActualReplicas, r.Status.DesiredReplicas = ptr.To(actual), ptr.To(desired)
		if desired > 0 {
			r.Status.MarkActive()
		} else {
			r.Status.MarkInactive(servingv1alpha1.ReasonScaledToZero, "The revision is scaled to zero.")
		}
	}
}

// withImagePullBackOff makes the revision fail to pull its image while it
// waits for its first pod.
func withImagePullBackOff(image string) fixture.RevisionOption {
	return func(r *servingv1alpha1.Revision) {
		r.Status.InitializeConditions()
		r.Status.MarkDeploying(servingv1alpha1.ReasonDeploying, "Waiting for a pod to become ready.")
		r.Status.MarkContainerUnhealthy("ImagePullBackOff", `Back-off pulling image "`+image+`"`)
	}
}

// withURL sets the Function's status.url.
func withURL(host string) fixture.FunctionOption {
	return func(f *servingv1alpha1.Function) { f.Status.URL = &apis.URL{Scheme: "http", Host: host} }
}

// TestStatusFunction runs `status function` on a ready Function that woke
// from zero, and on one whose latest revision cannot pull its image.
func TestStatusFunction(t *testing.T) {
	tests := []struct {
		name string
		// setup creates the objects in c's namespace.
		setup func(t *testing.T, c *cluster)
		args  []string
	}{{
		name: "ready-after-cold-start",
		setup: func(t *testing.T, c *cluster) {
			c.create(t,
				fixture.Function(c.ns, "hello", fixture.WithFunctionReady(), withURL("hello."+c.ns+".example.com"),
					fixture.WithLatestCreated("hello-00002"), fixture.WithLatestReady("hello-00002")),
				fixture.Revision(c.ns, "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady(), withPods(0, 0)),
				fixture.Revision(c.ns, "hello-00002", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady(), withPods(1, 1)),
			)
			p := c.pod(t, "hello-00002", "hello-00002-6d4f9-x7k2q", podStart{
				scheduled: 0, initialized: 1, sandbox: 2, started: 4, containersReady: 6, ready: 6,
			})
			c.scaledUp(t, "hello-00002", p, -1)
		},
		args: []string{"status", "function", "hello"},
	}, {
		name: "image-pull-backoff",
		setup: func(t *testing.T, c *cluster) {
			c.create(t,
				fixture.Function(c.ns, "hello", withURL("hello."+c.ns+".example.com"),
					fixture.WithFunctionFailed(servingv1alpha1.ReasonRevisionFailed, `Revision "hello-00003" failed: ImagePullBackOff`),
					fixture.WithLatestCreated("hello-00003"), fixture.WithLatestReady("hello-00002")),
				fixture.Revision(c.ns, "hello-00002", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady(), withPods(0, 0)),
				fixture.Revision(c.ns, "hello-00003", fixture.WithFunctionLabel("hello"),
					withImagePullBackOff("registry.example/hello:typo"), withPods(0, 1)),
			)
			// No event left: the phases start at the pod's creation.
			c.pod(t, "hello-00003", "hello-00003-5c8d7-q9w8e", podStart{
				scheduled: 0, initialized: 1, sandbox: 1, started: -1, containersReady: -1, ready: -1, waiting: "ImagePullBackOff",
			})
		},
		args: []string{"status", "fn", "hello"},
	}, {
		name: "scaled-to-zero-never-ready",
		setup: func(t *testing.T, c *cluster) {
			c.create(t,
				fixture.Function(c.ns, "hello", fixture.WithInitFunctionConditions(), fixture.WithLatestCreated("hello-00001")),
				fixture.Revision(c.ns, "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithInitRevisionConditions(),
					func(r *servingv1alpha1.Revision) {
						r.Status.MarkResourcesUnavailable(servingv1alpha1.ReasonQuotaExceeded, `deployments.apps "hello-00001" is forbidden: exceeded quota: pods`)
					}, withPods(0, 0)),
			)
		},
		args: []string{"status", "function", "hello"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := apiServer(t, "status-fn-"+tt.name)
			tt.setup(t, c)
			out, errOut, err := c.run(t, tt.args...)
			if err != nil {
				t.Fatalf("%v: %v\n%s", tt.args, err, errOut)
			}
			golden.AssertText(t, "status-function-"+tt.name+".txt", strings.ReplaceAll(out, c.ns, "NAMESPACE"))
		})
	}
}

// TestStatusFunctionJSON checks the report -o json gives scripts: the
// reason sentence, the traffic and the cold start's phases.
func TestStatusFunctionJSON(t *testing.T) {
	c := apiServer(t, "status-fn-json")
	c.create(t,
		fixture.Function(c.ns, "hello", fixture.WithFunctionReady(), fixture.WithLatestCreated("hello-00001"), fixture.WithLatestReady("hello-00001")),
		fixture.Revision(c.ns, "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady(), withPods(1, 1)),
	)
	p := c.pod(t, "hello-00001", "hello-00001-abc", podStart{scheduled: 1, initialized: 1, sandbox: 2, started: 3, containersReady: 5, ready: 5})
	c.scaledUp(t, "hello-00001", p, -2)
	out, _, err := c.run(t, "status", "function", "hello", "-o", "json")
	if err != nil {
		t.Fatal(err)
	}
	var r kubectlwake.Report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("%v in\n%s", err, out)
	}
	if r.Ready != "True" || r.Why != "Function hello is ready: it serves revision hello-00001." {
		t.Errorf("ready %q, why %q", r.Ready, r.Why)
	}
	if len(r.Traffic) != 1 || r.Traffic[0].Revision != "hello-00001" || r.Traffic[0].Percent != 100 {
		t.Errorf("traffic %+v, want hello-00001 100%%", r.Traffic)
	}
	cs := r.LastColdStart
	if cs == nil {
		t.Fatalf("no cold start in\n%s", out)
	}
	took := map[string]int64{}
	for _, ph := range cs.Phases {
		took[ph.Name] = ptr.Deref(ph.Seconds, -1)
	}
	want := map[string]int64{"scale-up": 2, "schedule": 1, "admit": 0, "sandbox": 1, "start": 1, "app-ready": 2, "ready": 0}
	for name, s := range want {
		if took[name] != s {
			t.Errorf("phase %s took %ds, want %ds (all: %v)", name, took[name], s, took)
		}
	}
	if cs.TotalSeconds != 7 || cs.Pod != "hello-00001-abc" || cs.ScaledFrom == "" {
		t.Errorf("cold start %+v, want 7 s of pod hello-00001-abc from the event", cs)
	}
}

// TestStatusRoute runs `status route` on a Route whose traffic waits for a
// revision, and on one whose host another Route holds.
func TestStatusRoute(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, c *cluster)
	}{{
		name: "revision-not-ready",
		setup: func(t *testing.T, c *cluster) {
			rt := fixture.Route(c.ns, "api", fixture.WithHosts("api.example.com"),
				fixture.WithRule(fixture.ToFunction("hello", 90, ""), fixture.ToRevision("hello-00001", 10, "old")),
				fixture.WithResolvedRule(fixture.Resolved("hello", "hello-00002", 90, ""), fixture.Resolved("", "hello-00001", 10, "old")),
				func(rt *servingv1alpha1.Route) {
					rt.Spec.Rules[0].Match.Path = &servingv1alpha1.PathMatch{Type: servingv1alpha1.PathMatchPrefix, Value: "/hello"}
					rt.Spec.Rules[0].Match.Methods = []servingv1alpha1.HTTPMethod{"GET", "POST"}
					rt.Status.URL = &apis.URL{Scheme: "http", Host: "api.example.com"}
					rt.Status.InitializeConditions()
					rt.Status.MarkHostsClaimed()
					rt.Status.MarkTrafficNotReady(`Revision "hello-00002" is not ready`)
					rt.Status.MarkCredentialsNotResolved(servingv1alpha1.ReasonSecretMissing, `Secret "api-clients" does not exist`)
				})
			c.create(t, rt,
				fixture.Revision(c.ns, "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady(), withPods(1, 1)),
				fixture.Revision(c.ns, "hello-00002", fixture.WithFunctionLabel("hello"), fixture.WithInitRevisionConditions(),
					func(r *servingv1alpha1.Revision) {
						r.Status.MarkDeploying("Unschedulable", "0/3 nodes are available: 3 Insufficient cpu.")
					}, withPods(0, 1)),
			)
			c.pod(t, "hello-00001", "hello-00001-7b9c-a1b2c", podStart{scheduled: 0, initialized: 0, sandbox: 1, started: 2, containersReady: 3, ready: 3})
		},
	}, {
		name: "host-taken",
		setup: func(t *testing.T, c *cluster) {
			c.create(t, fixture.Route(c.ns, "api", fixture.WithHosts("api.example.com"),
				fixture.WithRule(fixture.ToFunction("hello", 100, "")),
				func(rt *servingv1alpha1.Route) {
					rt.Status.InitializeConditions()
					rt.Status.MarkHostsTaken("host api.example.com is held by Route other/api, which is older")
					rt.Status.MarkTrafficMissing(servingv1alpha1.ReasonRevisionMissing, `Function "hello" does not exist`)
				}))
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := apiServer(t, "status-rt-"+tt.name)
			tt.setup(t, c)
			out, errOut, err := c.run(t, "status", "route", "api")
			if err != nil {
				t.Fatalf("%v\n%s", err, errOut)
			}
			golden.AssertText(t, "status-route-"+tt.name+".txt", strings.ReplaceAll(out, c.ns, "NAMESPACE"))
		})
	}
}

// TestNotFound checks that each command reading one object says clearly
// that it does not exist, and fails.
func TestNotFound(t *testing.T) {
	c := apiServer(t, "not-found")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"status", "function", "nope"}, `function "nope" not found in namespace "not-found"`},
		{[]string{"status", "rt", "nope"}, `route "nope" not found in namespace "not-found"`},
		{[]string{"usage", "function", "nope"}, `function "nope" not found in namespace "not-found"`},
		{[]string{"trigger", "lag", "nope"}, `kafkatrigger "nope" not found in namespace "not-found"`},
		{[]string{"tenants", "nope"}, `tenantpolicy "nope" not found`},
		{[]string{"apikey", "create", "nope", "website"}, `route "nope" not found in namespace "not-found"`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			out, _, err := c.run(t, tt.args...)
			if err == nil || err.Error() != tt.want {
				t.Errorf("error %v, want %q", err, tt.want)
			}
			if out != "" {
				t.Errorf("printed %q on standard output", out)
			}
		})
	}
}

// TestStatusWithoutPods runs `status function` as a user who may read
// Functions and Revisions but not pods or events (kubectl's --as): the
// status is shown, the cold start said to be unknown.
func TestStatusWithoutPods(t *testing.T) {
	c := apiServer(t, "status-no-pods")
	c.create(t,
		fixture.Function(c.ns, "hello", fixture.WithFunctionReady(), fixture.WithLatestCreated("hello-00001"), fixture.WithLatestReady("hello-00001")),
		fixture.Revision(c.ns, "hello-00001", fixture.WithFunctionLabel("hello"), fixture.WithRevisionReady(), withPods(1, 1)),
	)
	c.pod(t, "hello-00001", "hello-00001-abc", podStart{scheduled: 0, initialized: 0, sandbox: 1, started: 2, containersReady: 3, ready: 3})
	testenv.As(t, kubeEnv.Config, "fn-viewer", []rbacv1.PolicyRule{{
		APIGroups: []string{servingv1alpha1.GroupName}, Resources: []string{"functions", "revisions"}, Verbs: []string{"get", "list"},
	}})
	out, errOut, err := c.run(t, "--as", "fn-viewer", "status", "function", "hello")
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	for _, want := range []string{
		"Why:     Function hello is ready: it serves revision hello-00001.",
		"Last cold start: not known: you may not list pods in namespace status-no-pods.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
