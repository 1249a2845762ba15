package resolve

import (
	"crypto/sha256"
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

func TestCredentialSecretNames(t *testing.T) {
	keys := func(names ...string) *servingv1alpha1.RoutePolicies {
		p := &servingv1alpha1.APIKeyPolicy{Basic: true}
		for _, n := range names {
			p.CredentialRefs = append(p.CredentialRefs, servingv1alpha1.SecretRef{Name: n})
		}
		return &servingv1alpha1.RoutePolicies{APIKeys: p}
	}
	rt := &servingv1alpha1.Route{Spec: servingv1alpha1.RouteSpec{
		Policies: keys("partners", "internal"),
		Rules: []servingv1alpha1.RouteRule{
			{},                           // the route's
			{Policies: keys("partners")}, // its own, a duplicate
			{Policies: keys("beta")},
		},
	}}
	if got, want := CredentialSecretNames(rt), []string{"beta", "internal", "partners"}; !slices.Equal(got, want) {
		t.Errorf("CredentialSecretNames = %v, want %v", got, want)
	}
	rt.Spec.Rules = rt.Spec.Rules[1:] // every rule has its own: the route's is unused
	if got, want := CredentialSecretNames(rt), []string{"beta", "partners"}; !slices.Equal(got, want) {
		t.Errorf("with every rule's own: %v, want %v", got, want)
	}
	if got := CredentialSecretNames(&servingv1alpha1.Route{}); got != nil {
		t.Errorf("no policies: %v, want none", got)
	}
}

func TestMirrorName(t *testing.T) {
	a, b := MirrorName("team-a", "clients"), MirrorName("team-b", "clients")
	if a == b || a != MirrorName("team-a", "clients") {
		t.Errorf("MirrorName must be stable and differ across namespaces: %q %q", a, b)
	}
	// "a/b-c" and "a-b/c" must not meet either.
	if MirrorName("a", "b-c") == MirrorName("a-b", "c") {
		t.Error("MirrorName confuses namespace and name")
	}
	if len(a) > 63 {
		t.Errorf("%q is longer than a DNS label", a)
	}
}

func TestHashedClients(t *testing.T) {
	clients, empty := HashedClients(&corev1.Secret{Data: map[string][]byte{
		"alice": []byte("s3cret"), "bob": nil, "carol": []byte(""),
	}})
	want := sha256.Sum256([]byte("s3cret"))
	if len(clients) != 1 || !slices.Equal(clients["alice"], want[:]) {
		t.Errorf("clients = %x, want alice only, hashed", clients)
	}
	if !slices.Equal(empty, []string{"bob", "carol"}) {
		t.Errorf("empty = %v, want [bob carol]", empty)
	}
}

func TestFirstClients(t *testing.T) {
	clients := map[string][]byte{"c": {3}, "a": {1}, "b": {2}, "d": {4}}
	kept, dropped := FirstClients(clients, 2)
	if len(kept) != 2 || kept["a"] == nil || kept["b"] == nil || !slices.Equal(dropped, []string{"c", "d"}) {
		t.Errorf("FirstClients(4, 2) = %v, %v; want a and b kept, c and d dropped", kept, dropped)
	}
	if kept, dropped := FirstClients(clients, 4); len(kept) != 4 || dropped != nil {
		t.Errorf("FirstClients(4, 4) = %v, %v; want all kept", kept, dropped)
	}
}

func TestMarkCredentials(t *testing.T) {
	mirror := func(dropped string) *corev1.Secret {
		s := &corev1.Secret{}
		if dropped != "" {
			s.Annotations = map[string]string{servingv1alpha1.CredentialsClientsDroppedAnnotationKey: dropped}
		}
		return s
	}
	mirrored := CredentialSecret{Name: "ok", Mirror: mirror("")}
	tests := []struct {
		name    string
		secrets []CredentialSecret
		full    bool
		status  corev1.ConditionStatus // "": no condition
		reason  string
		message string
	}{
		{name: "no secrets", status: ""},
		{name: "all mirrored", secrets: []CredentialSecret{mirrored, {Name: "b", Mirror: mirror("0")}}, status: corev1.ConditionTrue},
		{name: "a bad annotation counts as none", secrets: []CredentialSecret{{Name: "b", Mirror: mirror("x")}}, status: corev1.ConditionTrue},
		{name: "missing", secrets: []CredentialSecret{mirrored, {Name: "a"}, {Name: "b"}}, status: corev1.ConditionFalse,
			reason: servingv1alpha1.ReasonSecretMissing, message: `credential Secrets not found: "a", "b"`},
		{name: "missing, namespace full", secrets: []CredentialSecret{{Name: "a"}}, full: true, status: corev1.ConditionFalse,
			reason: servingv1alpha1.ReasonSecretMissing, message: `credential Secrets not found: "a"`},
		{name: "not mirrored, namespace full", secrets: []CredentialSecret{mirrored, {Name: "a", Exists: true}}, full: true, status: corev1.ConditionFalse,
			reason:  servingv1alpha1.ReasonSecretNotMirrored,
			message: `credential Secrets not mirrored, the namespace has 16 mirrored already, the most allowed: "a"`},
		{name: "not mirrored yet", secrets: []CredentialSecret{mirrored, {Name: "a", Exists: true}}, status: corev1.ConditionUnknown,
			reason: servingv1alpha1.ReasonSecretNotMirrored, message: `credential Secrets not mirrored yet: "a"`},
		{name: "truncated", secrets: []CredentialSecret{{Name: "big", Mirror: mirror("5")}}, status: corev1.ConditionFalse,
			reason:  servingv1alpha1.ReasonTooManyClients,
			message: `credential Secrets with more than 1000 clients, the clients whose IDs sort last are refused: "big" (5 left out)`},
		{name: "every problem, missing first", secrets: []CredentialSecret{
			{Name: "big", Mirror: mirror("5")}, {Name: "new", Exists: true}, {Name: "gone"},
		}, status: corev1.ConditionFalse, reason: servingv1alpha1.ReasonSecretMissing,
			message: `credential Secrets not found: "gone"; credential Secrets with more than 1000 clients, the clients whose IDs sort last are refused: "big" (5 left out); credential Secrets not mirrored yet: "new"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &servingv1alpha1.RouteStatus{}
			s.MarkCredentialsResolved() // cleared when no Secret is named
			MarkCredentials(s, tt.secrets, tt.full)
			c := s.GetCondition(servingv1alpha1.RouteConditionCredentialsResolved)
			if tt.status == "" {
				if c != nil {
					t.Fatalf("condition %+v, want none", c)
				}
				return
			}
			if c == nil || c.Status != tt.status || c.Reason != tt.reason || c.Message != tt.message {
				t.Errorf("condition %+v, want %s %s %q", c, tt.status, tt.reason, tt.message)
			}
		})
	}
}
