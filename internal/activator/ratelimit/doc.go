// Package ratelimit enforces the rate limits of Routes' rateLimit policies
// in the activators, together over all of them.
//
// A limit is a token bucket (a rate, and a burst it may spend at once)
// with an optional quota per UTC day or month, counted for all of a rule's
// requests together or per key (client ID, a header's value, the source
// address). A plan is a limit for the clients it lists, each counted on
// its own.
//
// Each key is owned by one activator, picked by hashing the key over the
// ready activators (the index and count package feed gives SetActivators).
// The owner keeps the key's bucket; another activator leases tokens from
// it in batches (a tenth of a second's worth, at most a share of the
// burst) over the peer endpoint (PeerHandler, PeerPath), spends them from
// memory, and asks for the next batch when half the last is spent. The
// owner's refusal is repeated from memory until it would change (at most
// a second). So the activators together admit what one bucket would, less
// what leases hold unspent when traffic moves, and a request waits for a
// peer only when its lease has run dry. An owner that does not answer
// within the peer timeout is not asked for a while, and its keys are
// counted at each activator's share of the limit instead.
//
// What one namespace can make an activator hold is bounded: at most
// Options.MaxKeysPerNamespace keys (buckets and leases); idle ones (a full
// bucket without quota used, a lease spent or expired) are forgotten by
// Sweep, which Run calls periodically.
package ratelimit
