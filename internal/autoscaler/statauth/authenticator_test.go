package statauth

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	authenticationv1client "k8s.io/client-go/kubernetes/typed/authentication/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/statwire"
)

// These tests stand in for the API server where its answers are what the
// test varies (answers a real one does not give on demand, like an
// audience-unaware authenticator). The stat server's tests run the same
// Authenticator against a real API server.

const user = "system:serviceaccount:wake-system:wake-activator"

// otherUser is the second identity the tests accept (the dispatcher's).
const otherUser = "system:serviceaccount:wake-system:wake-dispatcher"

var now = time.Unix(1_764_000_000, 0)

// jwt builds an unsigned token with the given claims.
func jwt(t *testing.T, claims map[string]any) string {
	t.Helper()
	b, err := json.Marshal(claims)
	if err != nil {
		t.Fatal(err)
	}
	enc := base64.RawURLEncoding.EncodeToString
	return enc([]byte(`{"alg":"RS256"}`)) + "." + enc(b) + ".c2ln"
}

// goodClaims are those of a projected activator token.
func goodClaims(extra ...any) map[string]any {
	c := map[string]any{"sub": user, "aud": []string{statwire.Audience}, "exp": now.Add(10 * time.Minute).Unix()}
	for i := 0; i+1 < len(extra); i += 2 {
		c[extra[i].(string)] = extra[i+1]
	}
	return c
}

// fakeReviews answers every review with status, or fails with err.
type fakeReviews struct {
	authenticationv1client.TokenReviewInterface
	calls  atomic.Int64
	status func(token string) authenticationv1.TokenReviewStatus
	err    error
	gate   chan struct{} // when set, reviews wait for it
}

func (f *fakeReviews) Create(_ context.Context, tr *authenticationv1.TokenReview, _ metav1.CreateOptions) (*authenticationv1.TokenReview, error) {
	f.calls.Add(1)
	if f.gate != nil {
		<-f.gate
	}
	if f.err != nil {
		return nil, f.err
	}
	out := tr.DeepCopy()
	out.Status = f.status(tr.Spec.Token)
	return out, nil
}

// accept is what a real API server answers for a token bound to pod act-1.
func accept() func(string) authenticationv1.TokenReviewStatus {
	return func(string) authenticationv1.TokenReviewStatus {
		return authenticationv1.TokenReviewStatus{
			Authenticated: true,
			Audiences:     []string{statwire.Audience},
			User: authenticationv1.UserInfo{Username: user, Extra: map[string]authenticationv1.ExtraValue{
				PodNameExtra: {"act-1"},
			}},
		}
	}
}

func newAuth(t *testing.T, f *fakeReviews, tune func(*Options)) (*Authenticator, *clocktesting.FakeClock) {
	t.Helper()
	clk := clocktesting.NewFakeClock(now)
	cfg := Options{Reviews: f, Usernames: []string{user, otherUser}, Clock: clk}
	if tune != nil {
		tune(&cfg)
	}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return a, clk
}

func reason(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	if err != nil {
		return "untyped: " + err.Error()
	}
	return ""
}

// TestAuthenticate: the unverified claims only ever refuse (without a
// review); the review's answer decides the rest.
func TestAuthenticate(t *testing.T) {
	tests := []struct {
		name    string
		token   func(t *testing.T) string
		status  func(string) authenticationv1.TokenReviewStatus
		reason  string
		reviews int64
		pod     string
	}{
		{name: "accepted", token: func(t *testing.T) string { return jwt(t, goodClaims()) }, status: accept(), reviews: 1, pod: "act-1"},
		{name: "aud as a string", token: func(t *testing.T) string { return jwt(t, goodClaims("aud", statwire.Audience)) }, status: accept(), reviews: 1, pod: "act-1"},
		{name: "not a JWT", token: func(*testing.T) string { return "hello" }, reason: ReasonInvalid},
		{name: "payload not base64", token: func(*testing.T) string { return "a.%%%.c" }, reason: ReasonInvalid},
		{name: "payload not JSON", token: func(*testing.T) string { return "a." + base64.RawURLEncoding.EncodeToString([]byte("[")) + ".c" }, reason: ReasonInvalid},
		{name: "aud of the wrong type", token: func(t *testing.T) string { return jwt(t, goodClaims("aud", 7)) }, reason: ReasonInvalid},
		{name: "huge token", token: func(*testing.T) string { return string(make([]byte, 1<<20)) }, reason: ReasonInvalid},
		{name: "no exp", token: func(t *testing.T) string { c := goodClaims(); delete(c, "exp"); return jwt(t, c) }, reason: ReasonExpired},
		{name: "expired", token: func(t *testing.T) string { return jwt(t, goodClaims("exp", now.Unix())) }, reason: ReasonExpired},
		{name: "absurd exp", token: func(t *testing.T) string { return jwt(t, goodClaims("exp", 1e300)) }, reason: ReasonExpired},
		{name: "other audience", token: func(t *testing.T) string { return jwt(t, goodClaims("aud", []string{"api"})) }, reason: ReasonInvalid},
		{name: "other subject", token: func(t *testing.T) string { return jwt(t, goodClaims("sub", "system:serviceaccount:team-a:default")) }, reason: ReasonForbidden},
		{name: "API says no", token: func(t *testing.T) string { return jwt(t, goodClaims()) }, status: func(string) authenticationv1.TokenReviewStatus {
			return authenticationv1.TokenReviewStatus{Error: "invalid bearer token"}
		}, reason: ReasonInvalid, reviews: 1},
		{name: "audience-unaware answer", token: func(t *testing.T) string { return jwt(t, goodClaims()) }, status: func(tok string) authenticationv1.TokenReviewStatus {
			s := accept()(tok)
			s.Audiences = nil
			return s
		}, reason: ReasonInvalid, reviews: 1},
		{name: "API names another user", token: func(t *testing.T) string { return jwt(t, goodClaims()) }, status: func(tok string) authenticationv1.TokenReviewStatus {
			s := accept()(tok)
			s.User.Username = "system:serviceaccount:team-a:default"
			return s
		}, reason: ReasonForbidden, reviews: 1},
		{name: "not bound to a pod", token: func(t *testing.T) string { return jwt(t, goodClaims()) }, status: func(tok string) authenticationv1.TokenReviewStatus {
			s := accept()(tok)
			s.User.Extra = nil
			return s
		}, reason: ReasonForbidden, reviews: 1},
		{name: "the other accepted user", token: func(t *testing.T) string { return jwt(t, goodClaims("sub", otherUser)) }, status: func(tok string) authenticationv1.TokenReviewStatus {
			s := accept()(tok)
			s.User.Username = otherUser
			return s
		}, reviews: 1, pod: "act-1"},
		{name: "two pods", token: func(t *testing.T) string { return jwt(t, goodClaims()) }, status: func(tok string) authenticationv1.TokenReviewStatus {
			s := accept()(tok)
			s.User.Extra[PodNameExtra] = authenticationv1.ExtraValue{"act-1", "act-2"}
			return s
		}, reason: ReasonForbidden, reviews: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fakeReviews{status: tc.status}
			a, _ := newAuth(t, f, nil)
			id, err := a.Authenticate(context.Background(), tc.token(t))
			if got := reason(err); got != tc.reason {
				t.Fatalf("reason %q (%v), want %q", got, err, tc.reason)
			}
			if got := f.calls.Load(); got != tc.reviews {
				t.Errorf("%d reviews, want %d", got, tc.reviews)
			}
			if id.Pod != tc.pod {
				t.Errorf("pod %q, want %q", id.Pod, tc.pod)
			}
			if tc.pod != "" && !id.Expiry.Equal(now.Add(10*time.Minute)) {
				t.Errorf("expiry %v, want the token's exp", id.Expiry)
			}
		})
	}
}

// TestCacheUntilExpiryAndBounded: a positive review serves until the
// token's expiry, refusals are never cached, and the cache holds at most
// CacheSize entries.
func TestCacheUntilExpiryAndBounded(t *testing.T) {
	f := &fakeReviews{status: accept()}
	a, clk := newAuth(t, f, func(c *Options) { c.CacheSize = 3; c.ReviewRate = 1000; c.ReviewBurst = 1000 })
	tok := jwt(t, goodClaims())
	for range 3 {
		if _, err := a.Authenticate(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Fatalf("%d reviews for one token, want 1", got)
	}
	clk.Step(10 * time.Minute)
	if _, err := a.Authenticate(context.Background(), tok); reason(err) != ReasonExpired {
		t.Fatalf("after exp: %v, want %s", err, ReasonExpired)
	}
	clk.SetTime(now)
	for i := range 10 {
		if _, err := a.Authenticate(context.Background(), jwt(t, goodClaims("jti", fmt.Sprint(i), "exp", now.Add(time.Duration(10+i)*time.Minute).Unix()))); err != nil {
			t.Fatal(err)
		}
		if n := a.cacheLen(); n > 3 {
			t.Fatalf("cache holds %d, want at most 3", n)
		}
	}
	// The entries that expire last were kept.
	before := f.calls.Load()
	if _, err := a.Authenticate(context.Background(), jwt(t, goodClaims("jti", "9", "exp", now.Add(19*time.Minute).Unix()))); err != nil {
		t.Fatal(err)
	}
	if f.calls.Load() != before {
		t.Error("the latest-expiring entry was evicted")
	}

	f.status = func(string) authenticationv1.TokenReviewStatus { return authenticationv1.TokenReviewStatus{} }
	bad := jwt(t, goodClaims("jti", "bad"))
	for range 2 {
		_, _ = a.Authenticate(context.Background(), bad)
	}
	if got := f.calls.Load() - before; got != 2 {
		t.Errorf("%d reviews for a refused token presented twice, want 2 (refusals are not cached)", got)
	}
}

// TestConcurrentConnectionsShareOneReview: many connections presenting one
// new token at once cost one review.
func TestConcurrentConnectionsShareOneReview(t *testing.T) {
	f := &fakeReviews{status: accept(), gate: make(chan struct{})}
	a, _ := newAuth(t, f, nil)
	tok := jwt(t, goodClaims())
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			_, err := a.Authenticate(context.Background(), tok)
			errs <- err
		})
	}
	for f.calls.Load() == 0 {
		time.Sleep(time.Millisecond)
	}
	// Let the others arrive while the first review hangs: without sharing,
	// each would send its own.
	time.Sleep(50 * time.Millisecond)
	close(f.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if got := f.calls.Load(); got != 1 {
		t.Errorf("%d reviews, want 1", got)
	}
}

func TestNewValidates(t *testing.T) {
	if _, err := New(Options{Usernames: []string{user}}); err == nil {
		t.Error("no Reviews: want an error")
	}
	if _, err := New(Options{Reviews: &fakeReviews{}}); err == nil {
		t.Error("no Usernames: want an error")
	}
}

// TestCacheTTLBoundsLongTokens: a token that lives long is reviewed again
// after MaxCacheTTL, so a deleted pod's token is not accepted for its whole
// life.
func TestCacheTTLBoundsLongTokens(t *testing.T) {
	f := &fakeReviews{status: accept()}
	a, clk := newAuth(t, f, func(c *Options) { c.MaxCacheTTL = 10 * time.Minute })
	tok := jwt(t, goodClaims("exp", now.Add(24*time.Hour).Unix()))
	for _, step := range []time.Duration{0, 9 * time.Minute, 2 * time.Minute} {
		clk.Step(step)
		id, err := a.Authenticate(context.Background(), tok)
		if err != nil {
			t.Fatal(err)
		}
		if !id.Expiry.Equal(now.Add(24 * time.Hour)) {
			t.Errorf("expiry %v, want the token's own", id.Expiry)
		}
	}
	if got := f.calls.Load(); got != 2 {
		t.Errorf("%d reviews over 11 minutes with a 10-minute cache, want 2", got)
	}
}
