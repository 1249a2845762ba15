package resolve

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
)

// What one namespace can make the activators hold: each mirror is cached
// by every activator. The credentials reconciler enforces the limits; the
// Route reconciler reports them in CredentialsResolved.
const (
	// MaxClientsPerSecret is how many clients of one Secret are mirrored:
	// those whose IDs sort first.
	MaxClientsPerSecret = 1000
	// MaxSecretsPerNamespace is how many of a namespace's Secrets are
	// mirrored at once; one more is mirrored once another's mirror goes.
	MaxSecretsPerNamespace = 16
)

// IndexCredentialSecrets indexes Routes by the credential Secrets they
// name (CredentialSecretNames). The credentials reconciler registers it;
// the Route reconciler's watch on mirrors reads it too.
const IndexCredentialSecrets = "route.wake.dev/credential-secrets"

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

// CredentialSecret is what the Route reconciler read of one credential
// Secret a Route names.
type CredentialSecret struct {
	// Name is the Secret's name, in the Route's namespace.
	Name string
	// Mirror is the Secret's mirror in Wake's namespace; nil when there is
	// none.
	Mirror *corev1.Secret
	// Exists reports whether the Secret exists; it is read only when
	// Mirror is nil.
	Exists bool
}

// MarkCredentials sets CredentialsResolved on s from secrets, every
// credential Secret the Route names, and full, whether the Route's
// namespace has MaxSecretsPerNamespace mirrors: True when every Secret is
// mirrored with all its clients; False when one does not exist
// (SecretMissing), exists unmirrored in a full namespace
// (SecretNotMirrored) or has clients left out of its mirror
// (TooManyClients), the first of those reasons that applies, with a message
// listing every problem; Unknown when Secrets only wait to be mirrored.
// Without secrets the condition is removed.
func MarkCredentials(s *servingv1alpha1.RouteStatus, secrets []CredentialSecret, full bool) {
	if len(secrets) == 0 {
		s.ClearCredentials()
		return
	}
	var missing, refused, truncated, pending []string
	for _, c := range secrets {
		switch {
		case c.Mirror != nil:
			if n := DroppedClients(c.Mirror); n > 0 {
				truncated = append(truncated, fmt.Sprintf("%q (%d left out)", c.Name, n))
			}
		case !c.Exists:
			missing = append(missing, strconv.Quote(c.Name))
		case full:
			refused = append(refused, strconv.Quote(c.Name))
		default:
			pending = append(pending, strconv.Quote(c.Name))
		}
	}
	var reason string
	var msgs []string
	for _, p := range []struct {
		names  []string
		reason string
		format string
	}{
		{missing, servingv1alpha1.ReasonSecretMissing, "credential Secrets not found: %s"},
		{refused, servingv1alpha1.ReasonSecretNotMirrored,
			"credential Secrets not mirrored, the namespace has " + strconv.Itoa(MaxSecretsPerNamespace) + " mirrored already, the most allowed: %s"},
		{truncated, servingv1alpha1.ReasonTooManyClients,
			"credential Secrets with more than " + strconv.Itoa(MaxClientsPerSecret) + " clients, the clients whose IDs sort last are refused: %s"},
		{pending, "", "credential Secrets not mirrored yet: %s"},
	} {
		if len(p.names) == 0 {
			continue
		}
		msgs = append(msgs, fmt.Sprintf(p.format, strings.Join(p.names, ", ")))
		if reason == "" {
			reason = p.reason
		}
	}
	switch {
	case len(msgs) == 0:
		s.MarkCredentialsResolved()
	case reason == "":
		s.MarkCredentialsPending(strings.Join(msgs, "; "))
	default:
		s.MarkCredentialsNotResolved(reason, strings.Join(msgs, "; "))
	}
}

// DroppedClients returns how many clients of its Secret a mirror leaves
// out, as its CredentialsClientsDroppedAnnotationKey annotation says; 0
// when it has none or it is not a number.
func DroppedClients(mirror *corev1.Secret) int {
	n, err := strconv.Atoi(mirror.Annotations[servingv1alpha1.CredentialsClientsDroppedAnnotationKey])
	if err != nil {
		return 0
	}
	return n
}
