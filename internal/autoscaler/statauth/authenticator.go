package statauth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/go-logr/logr"
	"golang.org/x/sync/singleflight"
	"golang.org/x/time/rate"
	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	"k8s.io/utils/clock"

	"github.com/wakefn/wake/internal/statwire"
)

// PodNameExtra is the user extra in which the TokenReview API names the pod
// a token is bound to.
const PodNameExtra = "authentication.kubernetes.io/pod-name"

// Defaults of Config.
const (
	DefaultCacheSize     = 256
	DefaultReviewRate    = 5
	DefaultReviewBurst   = 10
	DefaultMinBackoff    = time.Second
	DefaultMaxBackoff    = 30 * time.Second
	DefaultReviewTimeout = 5 * time.Second
	DefaultMaxCacheTTL   = 10 * time.Minute
)

// Options configures an Authenticator.
type Options struct {
	// Reviews creates TokenReviews. Required.
	Reviews authenticationv1client.TokenReviewInterface
	// Usernames are the identities a token may have,
	// "system:serviceaccount:<namespace>:<name>": the activators' and the
	// dispatchers' ServiceAccounts. At least one is required.
	Usernames []string
	// Audience is the audience the tokens must be issued for; "" means
	// statwire.Audience.
	Audience string
	// Clock is the time source; nil means the real clock.
	Clock clock.PassiveClock
	// CacheSize bounds the positive reviews kept; 0 means
	// DefaultCacheSize.
	CacheSize int
	// MaxCacheTTL bounds how long a positive review is used, for tokens
	// that live longer than the projected ones (a deleted pod's token stays
	// accepted while cached); 0 means DefaultMaxCacheTTL.
	MaxCacheTTL time.Duration
	// ReviewRate and ReviewBurst bound the reviews sent, per second and at
	// once; 0 means DefaultReviewRate and DefaultReviewBurst.
	ReviewRate  float64
	ReviewBurst int
	// MinBackoff and MaxBackoff bound the pause in reviews after a failed
	// one, doubled on every further failure; 0 means the defaults.
	MinBackoff, MaxBackoff time.Duration
	// ReviewTimeout bounds one review; 0 means DefaultReviewTimeout.
	ReviewTimeout time.Duration
	// Log receives review failures.
	Log logr.Logger
}

// Identity is an authenticated activator.
type Identity struct {
	// Username is the ServiceAccount's user name.
	Username string
	// Pod is the name of the pod the token is bound to: the only src its
	// frames may carry.
	Pod string
	// Expiry is when the token expires.
	Expiry time.Time
}

// Authenticator checks activator tokens. It is safe for concurrent use.
type Authenticator struct {
	opts   Options
	flight singleflight.Group

	mu      sync.Mutex
	cache   map[[sha256.Size]byte]cached
	limiter *rate.Limiter
	backoff time.Duration // the last pause; 0 after a success
	retryAt time.Time     // no review before
}

// cached is a positive review, used until until.
type cached struct {
	id    Identity
	until time.Time
}

// New returns an Authenticator.
func New(opts Options) (*Authenticator, error) {
	if opts.Reviews == nil {
		return nil, errors.New("statauth: Config.Reviews is required")
	}
	if len(opts.Usernames) == 0 || slices.Contains(opts.Usernames, "") {
		return nil, errors.New("statauth: Config.Usernames is required and may not hold an empty name")
	}
	if opts.Audience == "" {
		opts.Audience = statwire.Audience
	}
	if opts.Clock == nil {
		opts.Clock = clock.RealClock{}
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultCacheSize
	}
	if opts.MaxCacheTTL <= 0 {
		opts.MaxCacheTTL = DefaultMaxCacheTTL
	}
	if opts.ReviewRate <= 0 {
		opts.ReviewRate = DefaultReviewRate
	}
	if opts.ReviewBurst <= 0 {
		opts.ReviewBurst = DefaultReviewBurst
	}
	if opts.MinBackoff <= 0 {
		opts.MinBackoff = DefaultMinBackoff
	}
	if opts.MaxBackoff < opts.MinBackoff {
		opts.MaxBackoff = max(DefaultMaxBackoff, opts.MinBackoff)
	}
	if opts.ReviewTimeout <= 0 {
		opts.ReviewTimeout = DefaultReviewTimeout
	}
	return &Authenticator{
		opts:    opts,
		cache:   make(map[[sha256.Size]byte]cached),
		limiter: rate.NewLimiter(rate.Limit(opts.ReviewRate), opts.ReviewBurst),
	}, nil
}

// Authenticate returns the identity token proves, or an *Error.
func (a *Authenticator) Authenticate(ctx context.Context, token string) (Identity, error) {
	now := a.opts.Clock.Now()
	c, err := parseClaims(token)
	if err != nil {
		return Identity{}, refuse(ReasonInvalid, "%w", err)
	}
	if err := a.precheck(c, now); err != nil {
		return Identity{}, err
	}
	key := sha256.Sum256([]byte(token))
	if id, ok := a.lookup(key, now); ok {
		return id, nil
	}
	// Connections that present one token at once share one review.
	v, err, _ := a.flight.Do(string(key[:]), func() (any, error) {
		if id, ok := a.lookup(key, a.opts.Clock.Now()); ok {
			return id, nil
		}
		id, err := a.review(ctx, token, c)
		if err != nil {
			return Identity{}, err
		}
		a.store(key, id)
		return id, nil
	})
	if err != nil {
		return Identity{}, err
	}
	return v.(Identity), nil
}

// precheck refuses, from its unverified claims, a token that cannot pass.
func (a *Authenticator) precheck(c claims, now time.Time) error {
	exp, err := c.expiry()
	if err != nil {
		return refuse(ReasonExpired, "%w", err)
	}
	if !now.Before(exp) {
		return refuse(ReasonExpired, "token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	if !c.Audience.has(a.opts.Audience) {
		return refuse(ReasonInvalid, "token is not for audience %q", a.opts.Audience)
	}
	if !slices.Contains(a.opts.Usernames, c.Subject) {
		return refuse(ReasonForbidden, "token is for %q, not one of %q", c.Subject, a.opts.Usernames)
	}
	return nil
}

// review asks the API server about token, within the rate and backoff.
func (a *Authenticator) review(ctx context.Context, token string, c claims) (Identity, error) {
	if err := a.admit(); err != nil {
		return Identity{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.ReviewTimeout)
	defer cancel()
	tr, err := a.opts.Reviews.Create(ctx, &authenticationv1.TokenReview{
		Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{a.opts.Audience}},
	}, metav1.CreateOptions{})
	if err != nil {
		pause := a.failed()
		a.opts.Log.Info("TokenReview failed; refusing activator tokens that are not cached", "error", err.Error(), "pause", pause.String())
		return Identity{}, &Error{Reason: ReasonUnavailable, Err: fmt.Errorf("create TokenReview: %w", err)}
	}
	a.succeeded()
	return a.check(tr, c)
}

// check turns an answered review into an identity.
func (a *Authenticator) check(tr *authenticationv1.TokenReview, c claims) (Identity, error) {
	st := tr.Status
	if !st.Authenticated {
		msg := st.Error
		if msg == "" {
			msg = "not authenticated"
		}
		return Identity{}, refuse(ReasonInvalid, "TokenReview: %s", msg)
	}
	// An audience-unaware authenticator leaves status.audiences empty: it
	// has not checked the audience, so the token is refused.
	if !audience(st.Audiences).has(a.opts.Audience) {
		return Identity{}, refuse(ReasonInvalid, "TokenReview did not confirm audience %q (got %q)", a.opts.Audience, st.Audiences)
	}
	if !slices.Contains(a.opts.Usernames, st.User.Username) {
		return Identity{}, refuse(ReasonForbidden, "token is for %q, not one of %q", st.User.Username, a.opts.Usernames)
	}
	pods := st.User.Extra[PodNameExtra]
	if len(pods) != 1 || pods[0] == "" {
		return Identity{}, refuse(ReasonForbidden, "token is not bound to one pod (%s: %q)", PodNameExtra, []string(pods))
	}
	exp, err := c.expiry()
	if err != nil {
		return Identity{}, refuse(ReasonExpired, "%w", err)
	}
	if !a.opts.Clock.Now().Before(exp) {
		return Identity{}, refuse(ReasonExpired, "token expired at %s", exp.UTC().Format(time.RFC3339))
	}
	return Identity{Username: st.User.Username, Pod: pods[0], Expiry: exp}, nil
}

// admit takes a review from the rate, unless reviews are backing off.
func (a *Authenticator) admit() error {
	now := a.opts.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	if now.Before(a.retryAt) {
		return refuse(ReasonUnavailable, "reviews paused until %s after a failure", a.retryAt.UTC().Format(time.RFC3339Nano))
	}
	if !a.limiter.AllowN(now, 1) {
		return refuse(ReasonUnavailable, "over %v reviews a second", a.opts.ReviewRate)
	}
	return nil
}

// failed starts or doubles the pause in reviews, and returns it.
func (a *Authenticator) failed() time.Duration {
	now := a.opts.Clock.Now()
	a.mu.Lock()
	defer a.mu.Unlock()
	a.backoff = min(max(2*a.backoff, a.opts.MinBackoff), a.opts.MaxBackoff)
	a.retryAt = now.Add(a.backoff)
	return a.backoff
}

func (a *Authenticator) succeeded() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.backoff = 0
}

// lookup returns a positive review of the token with hash key, unless it
// is past its use.
func (a *Authenticator) lookup(key [sha256.Size]byte, now time.Time) (Identity, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c, ok := a.cache[key]
	if !ok {
		return Identity{}, false
	}
	if !now.Before(c.until) {
		delete(a.cache, key)
		return Identity{}, false
	}
	return c.id, true
}

// store caches a positive review until the token expires, or for
// MaxCacheTTL if that is sooner. When the cache is full it drops the
// entries past their use, then the one whose use ends first.
func (a *Authenticator) store(key [sha256.Size]byte, id Identity) {
	now := a.opts.Clock.Now()
	until := id.Expiry
	if limit := now.Add(a.opts.MaxCacheTTL); limit.Before(until) {
		until = limit
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.cache[key]; !ok && len(a.cache) >= a.opts.CacheSize {
		var first [sha256.Size]byte
		var firstUntil time.Time
		for k, v := range a.cache {
			if !now.Before(v.until) {
				delete(a.cache, k)
				continue
			}
			if firstUntil.IsZero() || v.until.Before(firstUntil) {
				first, firstUntil = k, v.until
			}
		}
		if len(a.cache) >= a.opts.CacheSize {
			delete(a.cache, first)
		}
	}
	a.cache[key] = cached{id: id, until: until}
}

// cacheLen returns the number of cached reviews.
func (a *Authenticator) cacheLen() int {
	a.mu.Lock()
	defer a.mu.Unlock()
	return len(a.cache)
}
