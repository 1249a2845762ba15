package resolve

import (
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"sort"

	corev1 "k8s.io/api/core/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// CredentialSecretNames returns the Secrets rt's apiKeys policies name,
// route-wide and per rule, sorted, without duplicates.
func CredentialSecretNames(rt *servingv1alpha1.Route) []string {
	var out []string
	for i := range max(len(rt.Spec.Rules), 1) {
		p := rt.Spec.RulePolicies(i).APIKeys
		if p == nil {
			continue
		}
		for _, ref := range p.CredentialRefs {
			if !slices.Contains(out, ref.Name) {
				out = append(out, ref.Name)
			}
		}
	}
	sort.Strings(out)
	return out
}

// MirrorName is the name of the Secret in Wake's namespace that holds the
// hashes of the client secrets of Secret name in namespace ns: a DNS label
// derived from both, so that no two namespaces' Secrets share one.
func MirrorName(ns, name string) string {
	sum := sha256.Sum256([]byte(ns + "/" + name))
	return "credentials-" + hex.EncodeToString(sum[:10])
}

// HashedClients returns the clients of a credential Secret: each key of its
// data is a client ID, and its value, hashed with SHA-256, that client's
// secret. Keys with an empty value are left out and returned as well.
func HashedClients(s *corev1.Secret) (clients map[string][]byte, empty []string) {
	clients = make(map[string][]byte, len(s.Data))
	for id, secret := range s.Data {
		if len(secret) == 0 {
			empty = append(empty, id)
			continue
		}
		sum := sha256.Sum256(secret)
		clients[id] = sum[:]
	}
	sort.Strings(empty)
	return clients, empty
}

// FirstClients returns at most limit of clients, those whose IDs sort
// first, and the IDs left out, sorted.
func FirstClients(clients map[string][]byte, limit int) (kept map[string][]byte, dropped []string) {
	if len(clients) <= limit {
		return clients, nil
	}
	ids := slices.Sorted(maps.Keys(clients))
	kept = make(map[string][]byte, limit)
	for _, id := range ids[:limit] {
		kept[id] = clients[id]
	}
	return kept, ids[limit:]
}
