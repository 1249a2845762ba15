package feed

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/types"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/activator/apikey"
)

// +kubebuilder:rbac:groups="",namespace=wake-system,resources=secrets,verbs=get;list;watch

// Credentials are the clients of each credential Secret an apiKeys policy
// may name, keyed by that Secret's namespace and name: client ID → the
// SHA-256 of its secret, as the controller mirrors them.
type Credentials map[types.NamespacedName]map[string]apikey.Hash

// CredentialsOf reads the mirrors: Secrets marked as such, naming their
// source and holding 32-byte hashes (other values are skipped: a
// mirror's value is never a secret in the clear).
func CredentialsOf(mirrors []corev1.Secret) Credentials {
	out := make(Credentials, len(mirrors))
	for i := range mirrors {
		m := &mirrors[i]
		src := types.NamespacedName{
			Namespace: m.Annotations[servingv1alpha1.CredentialsNamespaceAnnotationKey],
			Name:      m.Annotations[servingv1alpha1.CredentialsNameAnnotationKey],
		}
		if m.Labels[servingv1alpha1.CredentialsMirrorLabelKey] != servingv1alpha1.CredentialsMirrorLabelValue || src.Namespace == "" || src.Name == "" {
			continue
		}
		clients := make(map[string]apikey.Hash, len(m.Data))
		for id, h := range m.Data {
			if len(h) == len(apikey.Hash{}) {
				clients[id] = apikey.Hash(h)
			}
		}
		out[src] = clients
	}
	return out
}

// apiKeysConfig converts a rule's apiKeys policy for a Route in namespace
// ns, with the clients of every Secret it names (none for a Secret not
// mirrored: every request is then refused); nil requires none.
func apiKeysConfig(ns string, p *servingv1alpha1.APIKeyPolicy, creds Credentials) *apikey.Config {
	if p == nil {
		return nil
	}
	c := &apikey.Config{
		Clients:      map[string]apikey.Hash{},
		Basic:        p.Basic,
		Allowed:      strs(p.AllowedClients),
		ClientHeader: string(p.ForwardClientIDHeader),
	}
	for _, ref := range p.CredentialRefs {
		for id, h := range creds[types.NamespacedName{Namespace: ns, Name: ref.Name}] {
			if _, taken := c.Clients[id]; !taken { // the first Secret naming a client wins
				c.Clients[id] = h
			}
		}
	}
	for _, e := range p.ExtractFrom {
		c.Headers = append(c.Headers, strs(e.Headers)...)
		c.Params = append(c.Params, e.Params...)
	}
	return c
}
