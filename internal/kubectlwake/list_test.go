package kubectlwake_test

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/fixture"
	"github.com/wakefn/wake/internal/golden"
)

// TestUsage shows a Function's status.usage, and says when there is none.
func TestUsage(t *testing.T) {
	c := apiServer(t, "usage")
	c.create(t,
		fixture.Function(c.ns, "hello", fixture.WithFunctionReady(), func(f *servingv1alpha1.Function) {
			f.Status.Usage = &servingv1alpha1.FunctionUsage{
				CountedThrough: metav1.NewTime(time.Date(2026, 12, 3, 9, 42, 0, 0, time.UTC)),
				Days: []servingv1alpha1.FunctionUsageDay{
					{Date: "2026-12-03", Requests: 1520, Units: 4210, GBSeconds: "56.506", VCPUSeconds: "42.100", ColdStarts: 3},
					{Date: "2026-12-02", Requests: 9800, Units: 20110, GBSeconds: "269.912", VCPUSeconds: "201.100", Refused: 41},
				},
			}
		}),
		fixture.Function(c.ns, "idle", fixture.WithFunctionReady()),
	)
	for _, tt := range []struct{ name, fn, format string }{
		{"usage.txt", "hello", ""},
		{"usage.yaml", "hello", "yaml"},
		{"usage-none.txt", "idle", ""},
	} {
		args := []string{"usage", "function", tt.fn}
		if tt.format != "" {
			args = append(args, "-o", tt.format)
		}
		out, errOut, err := c.run(t, args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, errOut)
		}
		golden.AssertText(t, tt.name, out)
	}
}

// TestTenants lists TenantPolicies with their namespaces' limits and use,
// all of them, one, and one namespace's.
func TestTenants(t *testing.T) {
	c := apiServer(t, "tenants")
	limits := func(inFlight, pods int32) servingv1alpha1.TenantLimitsInForce {
		return servingv1alpha1.TenantLimitsInForce{MaxInFlight: inFlight, MaxHeldRequests: 200, RequestsPerSecond: 50, Burst: 100, MaxPods: pods, MaxScaleUpPerMinute: 5}
	}
	c.create(t,
		fixture.TenantPolicy("free-tier", fixture.WithNamespaceLabel("tier", "free"),
			fixture.WithTenantLimits(servingv1alpha1.TenantLimits{MaxInFlight: ptr.To[int32](100), MaxPods: ptr.To[int32](10)}),
			func(p *servingv1alpha1.TenantPolicy) {
				p.Status.InitializeConditions()
				p.Status.MarkApplied()
				p.Status.NamespaceCount = 3
				p.Status.Namespaces = []servingv1alpha1.TenantNamespaceStatus{
					{Name: "team-a", InFlight: 37, Pods: 4, Limits: limits(100, 10)},
					{Name: "team-b", InFlight: 0, Pods: 0, Limits: limits(100, 10)},
				}
			}),
		fixture.TenantPolicy("pro", fixture.WithNamespaceLabel("tier", "pro"),
			func(p *servingv1alpha1.TenantPolicy) {
				p.Status.InitializeConditions()
				p.Status.MarkApplied()
				p.Status.MarkOverlapped("namespace team-b is governed by the older policy free-tier")
				p.Status.NamespaceCount = 1
				p.Status.Namespaces = []servingv1alpha1.TenantNamespaceStatus{{Name: "team-c", InFlight: 3, Pods: 1, Limits: limits(0, 0)}}
			}),
	)
	for _, tt := range []struct {
		name string
		args []string
	}{
		{"tenants.txt", []string{"tenants"}},
		{"tenants-one.txt", []string{"tenants", "pro"}},
		{"tenants-namespace.txt", []string{"-n", "team-a", "tenants"}},
		{"tenants-namespace-none.txt", []string{"tenants", "-n", "nobody"}},
		{"tenants-one.json", []string{"tp", "pro", "-o", "json"}},
	} {
		out, errOut, err := c.runGlobal(t, tt.args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, errOut)
		}
		golden.AssertText(t, tt.name, out)
	}
}

// TestTriggers lists KafkaTriggers and one trigger's lag per partition.
func TestTriggers(t *testing.T) {
	c := apiServer(t, "triggers")
	other := apiServer(t, "triggers-other")
	trigger := func(ns, name string, opts ...func(*servingv1alpha1.KafkaTrigger)) *servingv1alpha1.KafkaTrigger {
		kt := &servingv1alpha1.KafkaTrigger{
			ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			Spec:       servingv1alpha1.KafkaTriggerSpec{Function: "order-handler", Topics: []servingv1alpha1.KafkaTopic{"orders", "returns"}},
		}
		for _, o := range opts {
			o(kt)
		}
		return kt
	}
	c.create(t,
		trigger(c.ns, "orders", func(kt *servingv1alpha1.KafkaTrigger) {
			s := &kt.Status
			s.InitializeConditions()
			s.MarkBrokerReachable()
			s.MarkGroupJoined()
			s.MarkFunctionReady()
			s.MarkDeliveryFailing("message orders/1@41 failed 3 times: 503 Service Unavailable, since 2026-12-03T09:40:00Z")
			s.ConsumerGroup, s.Lag = "billing-orders", 57
			s.Partitions = []servingv1alpha1.KafkaPartitionStatus{
				{Topic: "orders", Partition: 0, Committed: 100, End: 105, Lag: 5},
				{Topic: "orders", Partition: 1, Committed: 41, End: 91, Lag: 50},
				{Topic: "returns", Partition: 0, Committed: -1, End: 2, Lag: 2},
			}
		}),
		trigger(c.ns, "refunds", func(kt *servingv1alpha1.KafkaTrigger) {
			kt.Spec.Topics = []servingv1alpha1.KafkaTopic{"refunds"}
			s := &kt.Status
			s.InitializeConditions()
			s.MarkBrokerReachable()
			s.MarkGroupNotJoined(servingv1alpha1.ReasonTopicMissing, "topics refunds do not exist")
			s.MarkFunctionReady()
		}),
	)
	other.create(t, trigger(other.ns, "audit"))
	for _, tt := range []struct {
		name string
		c    *cluster
		args []string
	}{
		{"triggers.txt", c, []string{"triggers"}},
		{"triggers-all.txt", c, []string{"triggers", "-A"}},
		{"triggers-none.txt", apiServer(t, "triggers-none"), []string{"kt"}},
		{"trigger-lag.txt", c, []string{"trigger", "lag", "orders"}},
		{"trigger-lag-not-ready.txt", c, []string{"trigger", "lag", "refunds"}},
		{"trigger-lag.yaml", c, []string{"trigger", "lag", "orders", "-o", "yaml"}},
	} {
		out, errOut, err := tt.c.run(t, tt.args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tt.args, err, errOut)
		}
		golden.AssertText(t, tt.name, out)
	}
}
