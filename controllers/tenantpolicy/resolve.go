package tenantpolicy

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"sync"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	servingv1alpha1 "github.com/wakefn/wake/api/v1alpha1"
	"github.com/wakefn/wake/internal/config"
	"github.com/wakefn/wake/internal/tenancy"
	"github.com/wakefn/wake/internal/tenancy/inputs"
)

// memo holds the latest resolution and the fingerprint of its inputs.
// Every policy's reconcile resolves the same inputs, and tenancy.Resolve
// costs O(policies × namespaces), so that P policies refreshed every
// UsageRefresh would cost O(P² × N); with the memo they cost one
// resolution per change of the inputs and P fingerprints of O(P + N). For
// 20 policies and 10,000 namespaces, measured on the development machine:
// a resolution 15 ms, a fingerprint 0.9 ms.
type memo struct {
	mu  sync.Mutex
	key uint64
	res *tenancy.Result
}

// resolve lists every TenantPolicy and every namespace (names and labels,
// from the metadata cache) and resolves them with the current wake-config,
// reusing the last resolution when the inputs are the same.
func (r *Reconciler) resolve(ctx context.Context) (*tenancy.Result, error) {
	in, err := inputs.List(ctx, r.Client)
	if err != nil {
		return nil, err
	}
	defaults := r.Config.Load().Tenant
	key := Fingerprint(in.Policies, in.Namespaces, defaults)

	r.last.mu.Lock()
	defer r.last.mu.Unlock()
	if r.last.res != nil && r.last.key == key {
		return r.last.res, nil
	}
	r.last.key, r.last.res = key, in.Resolve(defaults)
	return r.last.res, nil
}

// Fingerprint sums up everything tenancy.Resolve reads: each policy's
// name, UID, creation time and spec (not its status, which this
// reconciler rewrites), each namespace's name and resourceVersion (which
// changes with its labels), and the defaults. It does not depend on the
// lists' order, which the cache does not keep.
func Fingerprint(policies []servingv1alpha1.TenantPolicy, namespaces []metav1.PartialObjectMetadata, defaults config.Tenant) uint64 {
	sum := uint64(len(policies))<<32 ^ uint64(len(namespaces))
	for i := range policies {
		p := &policies[i]
		spec, _ := json.Marshal(&p.Spec) // a spec always marshals
		sum += hashOf("p", p.Name, string(p.UID), p.CreationTimestamp.UTC().String(), string(spec))
	}
	for i := range namespaces {
		sum += hashOf("n", namespaces[i].Name, namespaces[i].ResourceVersion)
	}
	d, _ := json.Marshal(defaults)
	return sum + hashOf("d", string(d))
}

// hashOf is the FNV-1a hash of parts, each prefixed by its length so that
// no two different lists of parts run together into the same bytes.
func hashOf(parts ...string) uint64 {
	h := fnv.New64a()
	var n [8]byte
	for _, s := range parts {
		binary.LittleEndian.PutUint64(n[:], uint64(len(s)))
		_, _ = h.Write(n[:])
		_, _ = h.Write([]byte(s))
	}
	return h.Sum64()
}
