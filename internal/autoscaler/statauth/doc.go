// Package statauth checks the ServiceAccount tokens that activators present
// on the stat channel (see internal/statwire, "Authentication").
//
// An Authenticator asks the TokenReview API (authentication.k8s.io/v1) to
// verify a token for statwire.Audience, then requires the activator's
// ServiceAccount (Config.Username) and a token bound to a pod, whose name it
// returns. It caches a positive review until the token's expiry (the exp
// claim, read from the token only after the API server accepted it), in a
// cache of bounded size, so an activator that reconnects or refreshes with
// the same token costs no review. It never caches a refusal.
//
// It fails closed and spares the API server: a review that fails (the API
// server is down, or refuses the review itself) refuses the token, and
// further reviews wait out an exponential backoff (1 s to 30 s); reviews
// beyond a rate (5 a second, bursts of 10) are refused too. Cheap checks on
// the token's unverified claims (shape, expiry, audience, subject) refuse
// most garbage before any review; they only ever refuse, never admit.
//
// A cached review outlives the deletion of its pod until the token expires
// or MaxCacheTTL passes, whichever is first (10 minutes at most with the
// projected token's expirationSeconds of 600): the Kubernetes API offers no
// cheap revocation check.
package statauth
