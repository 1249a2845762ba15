package feed

import (
	"slices"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/apikey"
)

func mirror(ns, name string, mark bool, data map[string][]byte) corev1.Secret {
	m := corev1.Secret{ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{
		servingv1alpha1.CredentialsNamespaceAnnotationKey: ns, servingv1alpha1.CredentialsNameAnnotationKey: name,
	}}, Data: data}
	if mark {
		m.Labels = map[string]string{servingv1alpha1.CredentialsMirrorLabelKey: servingv1alpha1.CredentialsMirrorLabelValue}
	}
	return m
}

// TestCredentials: mirrors become clients by source Secret (unmarked ones,
// and values that are no hash, are skipped), and a rule's policy gets the
// clients of the Secrets it names in the Route's namespace only.
func TestCredentials(t *testing.T) {
	a, b := apikey.HashOf([]byte("a")), apikey.HashOf([]byte("b"))
	creds := CredentialsOf([]corev1.Secret{
		mirror("team", "partners", true, map[string][]byte{"alice": a[:], "plain": []byte("not-a-hash")}),
		mirror("team", "internal", true, map[string][]byte{"bob": b[:], "alice": b[:]}),
		mirror("other", "partners", true, map[string][]byte{"eve": a[:]}),
		mirror("team", "forged", false, map[string][]byte{"mallory": a[:]}),
	})
	if got := creds[types.NamespacedName{Namespace: "team", Name: "partners"}]; len(got) != 1 || got["alice"] != a {
		t.Errorf("team/partners clients = %v, want alice only", got)
	}
	if _, ok := creds[types.NamespacedName{Namespace: "team", Name: "forged"}]; ok {
		t.Error("an unmarked Secret was read as a mirror")
	}
	c := apiKeysConfig("team", &servingv1alpha1.APIKeyPolicy{
		CredentialRefs: []servingv1alpha1.SecretRef{{Name: "partners"}, {Name: "internal"}, {Name: "missing"}},
		ExtractFrom:    []servingv1alpha1.APIKeyExtractFrom{{Headers: []servingv1alpha1.CORSHeaderName{"X-Api-Key"}}, {Params: []string{"key"}}},
		AllowedClients: []servingv1alpha1.ClientID{"bob"}, ForwardClientIDHeader: "X-Client",
	}, creds)
	// alice is in both: the first Secret named wins.
	if len(c.Clients) != 2 || c.Clients["alice"] != a || c.Clients["bob"] != b {
		t.Errorf("clients = %v, want alice (from partners) and bob", c.Clients)
	}
	if !slices.Equal(c.Headers, []string{"X-Api-Key"}) || !slices.Equal(c.Params, []string{"key"}) || !slices.Equal(c.Allowed, []string{"bob"}) || c.ClientHeader != "X-Client" {
		t.Errorf("config = %+v", c)
	}
	if c := apiKeysConfig("team", nil, creds); c != nil {
		t.Errorf("no policy: %+v, want nil", c)
	}
}
