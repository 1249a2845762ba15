package v1alpha1

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"knative.dev/pkg/apis"
)

// cond returns a condition's status, or "" when it is unset.
func cond(c *apis.Condition) corev1.ConditionStatus {
	if c == nil {
		return ""
	}
	return c.Status
}

func TestRevisionLifecycle(t *testing.T) {
	tests := []struct {
		name      string
		marks     []func(*RevisionStatus)
		wantReady corev1.ConditionStatus
		reason    string
	}{
		{"initialized", nil, corev1.ConditionUnknown, ""},
		{"resources only", []func(*RevisionStatus){(*RevisionStatus).MarkResourcesAvailable}, corev1.ConditionUnknown, ""},
		{"ready", []func(*RevisionStatus){(*RevisionStatus).MarkResourcesAvailable, (*RevisionStatus).MarkContainerHealthy}, corev1.ConditionTrue, ""},
		{"crash loop", []func(*RevisionStatus){(*RevisionStatus).MarkResourcesAvailable, func(s *RevisionStatus) {
			s.MarkContainerUnhealthy("CrashLoopBackOff", "exit 1")
		}}, corev1.ConditionFalse, "CrashLoopBackOff"},
		{"not owned", []func(*RevisionStatus){func(s *RevisionStatus) { s.MarkResourceNotOwned("Deployment", "x") }}, corev1.ConditionFalse, ReasonNotOwned},
		{"deploying", []func(*RevisionStatus){(*RevisionStatus).MarkContainerHealthy, func(s *RevisionStatus) {
			s.MarkDeploying(ReasonDeploying, "waiting")
		}}, corev1.ConditionUnknown, ReasonDeploying},
		{"inactive does not affect ready", []func(*RevisionStatus){(*RevisionStatus).MarkResourcesAvailable, (*RevisionStatus).MarkContainerHealthy,
			func(s *RevisionStatus) { s.MarkInactive(ReasonScaledToZero, "idle") }}, corev1.ConditionTrue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &RevisionStatus{}
			s.InitializeConditions()
			for _, m := range tt.marks {
				m(s)
			}
			ready := s.GetCondition(apis.ConditionReady)
			if cond(ready) != tt.wantReady || (tt.reason != "" && ready.Reason != tt.reason) {
				t.Errorf("Ready = %+v, want %s %s", ready, tt.wantReady, tt.reason)
			}
			if s.IsReady() != (tt.wantReady == corev1.ConditionTrue) || s.IsFailed() != (tt.wantReady == corev1.ConditionFalse) {
				t.Errorf("IsReady %v IsFailed %v for Ready %s", s.IsReady(), s.IsFailed(), tt.wantReady)
			}
		})
	}
}

func TestFunctionLifecycle(t *testing.T) {
	tests := []struct {
		name string
		mark func(*FunctionStatus)
		want corev1.ConditionStatus
	}{
		{"ready", (*FunctionStatus).MarkLatestRevisionReady, corev1.ConditionTrue},
		{"not ready", func(s *FunctionStatus) { s.MarkLatestRevisionNotReady(ReasonDeploying, "m") }, corev1.ConditionUnknown},
		{"failed", func(s *FunctionStatus) { s.MarkLatestRevisionFailed(ReasonRevisionFailed, "m") }, corev1.ConditionFalse},
		{"not owned", func(s *FunctionStatus) { s.MarkRevisionNotOwned("f-00001") }, corev1.ConditionFalse},
	}
	for _, tt := range tests {
		s := &FunctionStatus{}
		s.InitializeConditions()
		tt.mark(s)
		if got := cond(s.GetCondition(apis.ConditionReady)); got != tt.want {
			t.Errorf("%s: Ready = %s, want %s", tt.name, got, tt.want)
		}
		if got := cond(s.GetCondition(FunctionConditionLatestRevisionReady)); got != tt.want {
			t.Errorf("%s: LatestRevisionReady = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestRouteLifecycle(t *testing.T) {
	tests := []struct {
		name  string
		marks []func(*RouteStatus)
		want  corev1.ConditionStatus
	}{
		{"both true", []func(*RouteStatus){(*RouteStatus).MarkTrafficAssigned, (*RouteStatus).MarkHostsClaimed}, corev1.ConditionTrue},
		{"host taken", []func(*RouteStatus){(*RouteStatus).MarkTrafficAssigned, func(s *RouteStatus) { s.MarkHostsTaken("a.example.com") }}, corev1.ConditionFalse},
		{"host not granted", []func(*RouteStatus){(*RouteStatus).MarkTrafficAssigned, func(s *RouteStatus) { s.MarkHostsNotGranted("a.example.com") }}, corev1.ConditionFalse},
		{"traffic not ready", []func(*RouteStatus){(*RouteStatus).MarkHostsClaimed, func(s *RouteStatus) { s.MarkTrafficNotReady("m") }}, corev1.ConditionUnknown},
		{"traffic missing", []func(*RouteStatus){(*RouteStatus).MarkHostsClaimed, func(s *RouteStatus) { s.MarkTrafficMissing(ReasonRevisionMissing, "m") }}, corev1.ConditionFalse},
		{"credentials not resolved does not affect ready", []func(*RouteStatus){(*RouteStatus).MarkTrafficAssigned, (*RouteStatus).MarkHostsClaimed,
			func(s *RouteStatus) { s.MarkCredentialsNotResolved(ReasonSecretMissing, "m") }}, corev1.ConditionTrue},
		{"credentials pending does not affect ready", []func(*RouteStatus){(*RouteStatus).MarkTrafficAssigned, (*RouteStatus).MarkHostsClaimed,
			func(s *RouteStatus) { s.MarkCredentialsPending("m") }}, corev1.ConditionTrue},
		{"credentials resolved does not make ready", []func(*RouteStatus){(*RouteStatus).MarkCredentialsResolved, (*RouteStatus).MarkHostsClaimed}, corev1.ConditionUnknown},
		{"credentials not resolved then hosts claimed", []func(*RouteStatus){(*RouteStatus).MarkTrafficAssigned,
			func(s *RouteStatus) { s.MarkCredentialsNotResolved(ReasonSecretMissing, "m") }, (*RouteStatus).MarkHostsClaimed}, corev1.ConditionTrue},
	}
	for _, tt := range tests {
		s := &RouteStatus{}
		s.InitializeConditions()
		for _, m := range tt.marks {
			m(s)
		}
		if got := cond(s.GetCondition(apis.ConditionReady)); got != tt.want {
			t.Errorf("%s: Ready = %s, want %s", tt.name, got, tt.want)
		}
		if s.IsReady() != (tt.want == corev1.ConditionTrue) {
			t.Errorf("%s: IsReady = %v", tt.name, s.IsReady())
		}
	}
}

func TestRouteCredentialsCondition(t *testing.T) {
	tests := []struct {
		name         string
		mark         func(*RouteStatus)
		want         corev1.ConditionStatus
		wantSeverity apis.ConditionSeverity
	}{
		{"resolved", (*RouteStatus).MarkCredentialsResolved, corev1.ConditionTrue, apis.ConditionSeverityInfo},
		{"not resolved", func(s *RouteStatus) { s.MarkCredentialsNotResolved(ReasonSecretMissing, "m") }, corev1.ConditionFalse, apis.ConditionSeverityWarning},
		{"pending", func(s *RouteStatus) { s.MarkCredentialsPending("m") }, corev1.ConditionUnknown, apis.ConditionSeverityInfo},
		{"cleared", func(s *RouteStatus) { s.MarkCredentialsResolved(); s.ClearCredentials() }, "", ""},
	}
	for _, tt := range tests {
		s := &RouteStatus{}
		s.InitializeConditions()
		if c := s.GetCondition(RouteConditionCredentialsResolved); c != nil {
			t.Fatalf("InitializeConditions set %+v", c)
		}
		tt.mark(s)
		c := s.GetCondition(RouteConditionCredentialsResolved)
		if cond(c) != tt.want || c != nil && c.Severity != tt.wantSeverity {
			t.Errorf("%s: CredentialsResolved = %+v, want %s with severity %q", tt.name, c, tt.want, tt.wantSeverity)
		}
	}
}

func TestDefaults(t *testing.T) {
	var c Container
	if c.ServingPort() != DefaultPort || c.ServingProtocol() != ProtocolHTTP1 {
		t.Errorf("unset port: %d %s", c.ServingPort(), c.ServingProtocol())
	}
	c.Port = &ServingPort{ContainerPort: 9000, Protocol: ProtocolH2C}
	if c.ServingPort() != 9000 || c.ServingProtocol() != ProtocolH2C {
		t.Errorf("set port: %d %s", c.ServingPort(), c.ServingProtocol())
	}
	var s RevisionSpec
	if s.Timeout() != DefaultTimeoutSeconds || s.ServingContainer() != nil {
		t.Errorf("empty spec: timeout %d, container %v", s.Timeout(), s.ServingContainer())
	}
	s.TimeoutSeconds = 30
	s.Containers = []Container{{Image: "x"}}
	if s.Timeout() != 30 || s.ServingContainer().Image != "x" {
		t.Errorf("set spec: timeout %d, container %v", s.Timeout(), s.ServingContainer())
	}
}

func TestDomainGrantLifecycle(t *testing.T) {
	s := &DomainGrantStatus{}
	s.InitializeConditions()
	if got := cond(s.GetCondition(apis.ConditionReady)); got != corev1.ConditionUnknown {
		t.Errorf("initial Ready = %s, want Unknown", got)
	}
	s.MarkApplied()
	s.MarkShared("a.example.com is also granted to namespace b")
	if got := cond(s.GetCondition(apis.ConditionReady)); got != corev1.ConditionTrue {
		t.Errorf("Ready = %s with Exclusive False, want True (Exclusive is informational)", got)
	}
	if c := s.GetCondition(DomainGrantConditionExclusive); c == nil || !c.IsFalse() || c.Reason != ReasonDomainShared {
		t.Errorf("Exclusive = %+v, want False %s", c, ReasonDomainShared)
	}
	s.MarkExclusive()
	if c := s.GetCondition(DomainGrantConditionExclusive); c == nil || !c.IsTrue() {
		t.Errorf("Exclusive = %+v, want True", c)
	}
}

func TestKafkaTriggerLifecycle(t *testing.T) {
	ready := []func(*KafkaTriggerStatus){
		(*KafkaTriggerStatus).MarkBrokerReachable, (*KafkaTriggerStatus).MarkGroupJoined, (*KafkaTriggerStatus).MarkFunctionReady,
	}
	tests := []struct {
		name      string
		marks     []func(*KafkaTriggerStatus)
		wantReady corev1.ConditionStatus
		reason    string
	}{
		{"initialized", nil, corev1.ConditionUnknown, ""},
		{"ready", ready, corev1.ConditionTrue, ""},
		{"broker unreachable", append(ready[1:], func(s *KafkaTriggerStatus) { s.MarkBrokerUnreachable(ReasonSecretInvalid, "no password") }),
			corev1.ConditionFalse, ReasonSecretInvalid},
		{"joining is unknown", append(ready, func(s *KafkaTriggerStatus) { s.MarkGroupNotJoined(ReasonJoining, "joining") }),
			corev1.ConditionUnknown, ReasonJoining},
		{"topic missing", append(ready, func(s *KafkaTriggerStatus) { s.MarkGroupNotJoined(ReasonTopicMissing, "orders") }),
			corev1.ConditionFalse, ReasonTopicMissing},
		{"function missing", append(ready, func(s *KafkaTriggerStatus) { s.MarkFunctionNotReady(ReasonFunctionMissing, "f") }),
			corev1.ConditionFalse, ReasonFunctionMissing},
		{"function starting", append(ready, func(s *KafkaTriggerStatus) { s.MarkFunctionPending("first revision starting") }),
			corev1.ConditionUnknown, ReasonFunctionNotReady},
		{"failing delivery does not affect ready", append(ready, func(s *KafkaTriggerStatus) { s.MarkDeliveryFailing("HTTP 500") }),
			corev1.ConditionTrue, ""},
		{"development broker does not affect ready", append(ready, func(s *KafkaTriggerStatus) { s.MarkDevelopmentBroker(true) }),
			corev1.ConditionTrue, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &KafkaTriggerStatus{}
			s.InitializeConditions()
			for _, m := range tt.marks {
				m(s)
			}
			got := s.GetCondition(apis.ConditionReady)
			if cond(got) != tt.wantReady || (tt.reason != "" && got.Reason != tt.reason) {
				t.Errorf("Ready = %+v, want %s %s", got, tt.wantReady, tt.reason)
			}
		})
	}
	s := &KafkaTriggerStatus{}
	s.MarkDevelopmentBroker(true)
	if c := s.GetCondition(KafkaTriggerConditionDevelopmentBroker); cond(c) != corev1.ConditionTrue || c.Reason != ReasonEmbeddedBroker {
		t.Errorf("DevelopmentBroker = %+v, want True EmbeddedBroker", c)
	}
	s.MarkDevelopmentBroker(false)
	if c := s.GetCondition(KafkaTriggerConditionDevelopmentBroker); c != nil {
		t.Errorf("DevelopmentBroker = %+v after a broker was set, want none", c)
	}
}

func TestKafkaTriggerDefaults(t *testing.T) {
	kt := &KafkaTrigger{}
	kt.Namespace, kt.Name = "team-a", "orders"
	if got := kt.ConsumerGroupName(); got != "wake.team-a.orders" {
		t.Errorf("ConsumerGroupName() = %q, want wake.team-a.orders", got)
	}
	kt.Spec.ConsumerGroup = "billing"
	if got := kt.ConsumerGroupName(); got != "billing" {
		t.Errorf("ConsumerGroupName() = %q, want billing", got)
	}
	var d KafkaDelivery
	var r KafkaRetry
	low, high := r.BackoffOrDefault()
	if d.MaxInFlightOrDefault() != 10 || d.MaxBatchOrDefault() != 1 || d.TimeoutOrDefault() != DefaultKafkaTimeout ||
		r.AttemptsOrDefault() != 3 || low != DefaultKafkaMinBackoff || high != DefaultKafkaMaxBackoff {
		t.Errorf("defaults: %d %d %s %d %s %s", d.MaxInFlightOrDefault(), d.MaxBatchOrDefault(), d.TimeoutOrDefault(), r.AttemptsOrDefault(), low, high)
	}
}
