package statserver

import (
	"errors"
	"io"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/wakefn/wake/internal/autoscaler/statauth"
	"github.com/wakefn/wake/internal/statwire"
	"github.com/wakefn/wake/internal/testutil"
)

// authStack is a stat server on loopback whose Authenticator reviews
// tokens with the real API server.
type authStack struct {
	*harness
	kube    *cluster
	reviews *countingReviews
	auth    *statauth.Authenticator
}

// startAuth starts a stat server with a real statauth.Authenticator for
// kube's activator ServiceAccount, on a fake clock set to now. tune may
// change the server's and the authenticator's options.
func startAuth(t *testing.T, kube *cluster, tune func(*Options, *statauth.Options)) *authStack {
	t.Helper()
	clk := clocktesting.NewFakeClock(time.Now())
	reviews := &countingReviews{TokenReviewInterface: kube.reviews}
	acfg := statauth.Options{Reviews: reviews, Usernames: []string{kube.activatorUser()}, Clock: clk}
	o := Options{AuthTimeout: 500 * time.Millisecond}
	if tune != nil {
		tune(&o, &acfg)
	}
	auth, err := statauth.New(acfg)
	if err != nil {
		t.Fatal(err)
	}
	o.Authenticator = auth
	return &authStack{harness: startWith(t, clk, o), kube: kube, reviews: reviews, auth: auth}
}

// connect dials and writes lines as they are, without waiting. It stops
// writing if the server has closed the connection already.
func (s *authStack) connect(lines ...string) net.Conn {
	s.t.Helper()
	c := s.dialRaw()
	for _, l := range lines {
		if _, err := io.WriteString(c, l); err != nil {
			break
		}
	}
	return c
}

// refusedTotal sums the refusals over every reason.
func (s *authStack) refusedTotal() float64 {
	var n float64
	for _, r := range refuseReasons {
		n += s.refused(r)
	}
	return n
}

// waitClosed fails the test unless the server closes c within 10 s.
func waitClosed(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(10 * time.Second)); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Fatalf("read: %v, want the connection closed by the server", err)
	}
}

// assertOpen fails the test if the server closed c (it never writes, so a
// read that times out means open).
func assertOpen(t *testing.T, c net.Conn) {
	t.Helper()
	if err := c.SetReadDeadline(time.Now().Add(100 * time.Millisecond)); err != nil {
		t.Fatal(err)
	}
	var b [1]byte
	_, err := c.Read(b[:])
	var ne net.Error
	if !errors.As(err, &ne) || !ne.Timeout() {
		t.Fatalf("read: %v, want the connection still open", err)
	}
}

func authLine(t *testing.T, token string) string {
	t.Helper()
	var b strings.Builder
	if err := statwire.WriteAuth(&b, token); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func frameLine(t *testing.T, src string, c float64, poke bool) string {
	t.Helper()
	f := frame(src, c)
	f.Stats[0].Poke = poke
	var b strings.Builder
	if err := statwire.Write(&b, f); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// TestStatChannelAuthentication: only a pod-bound token of the activator's
// ServiceAccount, issued for the stat audience and accepted by the API
// server, gets a connection's frames applied; anything else closes the
// connection, is counted by reason, and applies nothing.
func TestStatChannelAuthentication(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	gone := kube.pod(t, kube.ns, "act-gone", "wake-activator")
	goneToken := kube.activatorToken(t, gone)
	if err := kube.core.Pods(kube.ns).Delete(t.Context(), gone.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)}); err != nil {
		t.Fatal(err)
	}
	kube.serviceAccount(t, kube.ns, "tenant")
	tenantPod := kube.pod(t, kube.ns, "tenant-1", "tenant")
	otherNS := apiServer(t) // an activator ServiceAccount of another namespace
	otherPod := otherNS.pod(t, otherNS.ns, "act-1", "wake-activator")
	valid := kube.activatorToken(t, act)
	forged := valid[:len(valid)-4] + flip(valid[len(valid)-4:])

	tests := []struct {
		name string
		// lines are written at once on connecting; src act-1 frames follow.
		lines func() []string
		// stepClock moves the server's clock before connecting.
		stepClock time.Duration
		// reason is the refusal counted; "" means accepted.
		reason string
	}{
		{name: "valid token", lines: func() []string { return []string{authLine(t, valid)} }},
		{name: "no auth line", lines: func() []string { return nil }, reason: RefuseNoAuth},
		{name: "garbage first", lines: func() []string { return []string{"GET / HTTP/1.1\r\n\r\n"} }, reason: RefuseNoAuth},
		{name: "endless first line", lines: func() []string { return []string{strings.Repeat("a", statwire.MaxAuthBytes+1)} }, reason: RefuseNoAuth},
		{name: "not a JWT", lines: func() []string { return []string{authLine(t, "secret")} }, reason: statauth.ReasonInvalid},
		{name: "forged signature", lines: func() []string { return []string{authLine(t, forged)} }, reason: statauth.ReasonInvalid},
		{name: "wrong audience", lines: func() []string {
			return []string{authLine(t, kube.token(t, kube.ns, "wake-activator", act, "https://kubernetes.default.svc", 600))}
		}, reason: statauth.ReasonInvalid},
		{name: "other ServiceAccount", lines: func() []string {
			return []string{authLine(t, kube.token(t, kube.ns, "tenant", tenantPod, statwire.Audience, 600))}
		}, reason: statauth.ReasonForbidden},
		{name: "activator ServiceAccount of another namespace", lines: func() []string {
			return []string{authLine(t, otherNS.activatorToken(t, otherPod))}
		}, reason: statauth.ReasonForbidden},
		{name: "not bound to a pod", lines: func() []string {
			return []string{authLine(t, kube.token(t, kube.ns, "wake-activator", nil, statwire.Audience, 600))}
		}, reason: statauth.ReasonForbidden},
		{name: "pod deleted", lines: func() []string { return []string{authLine(t, goneToken)} }, reason: statauth.ReasonInvalid},
		{name: "expired", lines: func() []string { return []string{authLine(t, valid)} }, stepClock: 11 * time.Minute, reason: statauth.ReasonExpired},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startAuth(t, kube, nil)
			s.clock.Step(tc.stepClock)
			lines := append(tc.lines(), frameLine(t, "act-1", 5, false), frameLine(t, "act-1", 0, true))
			c := s.connect(lines...)
			if tc.reason == "" {
				testutil.Eventually(s.t, waitTimeout, "frames applied", func() bool { return s.frames() == 2 })
				assertOpen(t, c)
				if got := s.coll.Concurrency(revA, s.clock.Now()); got != 5 {
					t.Errorf("concurrency %v, want 5", got)
				}
				if n := s.refusedTotal(); n != 0 {
					t.Errorf("%v refusals for a valid token", n)
				}
				return
			}
			waitClosed(t, c)
			testutil.Eventually(s.t, waitTimeout, "refusal counted", func() bool { return s.refused(tc.reason) == 1 })
			if n := s.refusedTotal(); n != 1 {
				t.Errorf("%v refusals, want 1 (%s)", n, tc.reason)
			}
			if got := s.frames(); got != 0 {
				t.Errorf("%v frames applied from a refused connection", got)
			}
			if got := s.coll.Concurrency(revA, s.clock.Now()); got != 0 {
				t.Errorf("concurrency %v from a refused connection, want 0", got)
			}
			select {
			case k := <-s.pokes:
				t.Errorf("poke for %v from a refused connection", k)
			default:
			}
		})
	}
}

// flip changes every character of s, keeping it base64url.
func flip(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
	}
	return string(b)
}

// TestSourceBoundToTokenPod: an authenticated activator may report only as
// the pod its token is bound to.
func TestSourceBoundToTokenPod(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	s := startAuth(t, kube, nil)
	c := s.connect(authLine(t, kube.activatorToken(t, act)),
		frameLine(t, "act-2", 7, false), frameLine(t, "act-2", 0, true), frameLine(t, "act-1", 3, false))
	testutil.Eventually(s.t, waitTimeout, "own frame applied", func() bool { return s.frames() == 1 })
	assertOpen(t, c)
	if got := s.dropped(DropWrongSource); got != 2 {
		t.Errorf("dropped{%s} = %v, want 2", DropWrongSource, got)
	}
	if got := s.coll.Concurrency(revA, s.clock.Now()); got != 3 {
		t.Errorf("concurrency %v, want 3 (act-1's only)", got)
	}
	select {
	case k := <-s.pokes:
		t.Errorf("poke for %v under another pod's name", k)
	default:
	}
}

// TestTokenRefresh: a fresh token for the same pod on an open connection
// carries it past the first token's expiry; one for another pod closes it;
// and a token that expires without a fresh one closes it.
func TestTokenRefresh(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	act2 := kube.pod(t, kube.ns, "act-2", "wake-activator")
	short := kube.activatorToken(t, act)                                            // 10 min
	long := kube.token(t, kube.ns, "wake-activator", act, statwire.Audience, 30*60) // 30 min

	t.Run("refreshed", func(t *testing.T) {
		s := startAuth(t, kube, nil)
		c := s.connect(authLine(t, short), frameLine(t, "act-1", 1, false), authLine(t, long), frameLine(t, "act-1", 2, false))
		// Lines are handled in order: the second frame means the fresh
		// token has been taken.
		testutil.Eventually(s.t, waitTimeout, "frames applied", func() bool { return s.frames() == 2 })
		s.clock.Step(15 * time.Minute) // past short's expiry, before long's
		if _, err := io.WriteString(c, frameLine(t, "act-1", 3, false)); err != nil {
			t.Fatal(err)
		}
		testutil.Eventually(s.t, waitTimeout, "frame applied after the refresh", func() bool { return s.frames() == 3 })
		assertOpen(t, c)
		if n := s.refusedTotal(); n != 0 {
			t.Errorf("%v refusals", n)
		}
	})
	t.Run("expired without refresh", func(t *testing.T) {
		s := startAuth(t, kube, nil)
		c := s.connect(authLine(t, short), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "frame applied", func() bool { return s.frames() == 1 })
		s.clock.Step(11 * time.Minute)
		if _, err := io.WriteString(c, frameLine(t, "act-1", 9, false)); err != nil {
			t.Fatal(err)
		}
		waitClosed(t, c)
		testutil.Eventually(s.t, waitTimeout, "expiry counted", func() bool { return s.refused(statauth.ReasonExpired) == 1 })
		if got := s.frames(); got != 1 {
			t.Errorf("%v frames applied, want 1 (none after expiry)", got)
		}
	})
	t.Run("fresh token cannot be reviewed yet", func(t *testing.T) {
		s := startAuth(t, kube, nil)
		c := s.connect(authLine(t, short), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "frame applied", func() bool { return s.frames() == 1 })
		s.reviews.fail.Store(true)
		write := func(lines ...string) {
			t.Helper()
			for _, l := range lines {
				if _, err := io.WriteString(c, l); err != nil {
					t.Fatal(err)
				}
			}
		}
		write(authLine(t, long), frameLine(t, "act-1", 2, false))
		testutil.Eventually(s.t, waitTimeout, "frame applied with the current token", func() bool { return s.frames() == 2 })
		assertOpen(t, c)
		// The activator offers the token again at its next refresh, once
		// the review backoff is over and the API server answers.
		s.reviews.fail.Store(false)
		s.clock.Step(2 * time.Second)
		write(authLine(t, long), frameLine(t, "act-1", 3, false))
		testutil.Eventually(s.t, waitTimeout, "fresh token taken", func() bool { return s.frames() == 3 })
		s.clock.Step(15 * time.Minute)
		write(frameLine(t, "act-1", 4, false))
		testutil.Eventually(s.t, waitTimeout, "frame applied past the first token's expiry", func() bool { return s.frames() == 4 })
		assertOpen(t, c)
	})
	t.Run("token for another pod", func(t *testing.T) {
		s := startAuth(t, kube, nil)
		c := s.connect(authLine(t, short), authLine(t, kube.activatorToken(t, act2)), frameLine(t, "act-2", 4, false))
		waitClosed(t, c)
		testutil.Eventually(s.t, waitTimeout, "pod change counted", func() bool { return s.refused(RefusePodChanged) == 1 })
		if got := s.frames(); got != 0 {
			t.Errorf("%v frames applied, want 0", got)
		}
	})
}

// TestReviewCachedPerToken: connections that present one token cost one
// TokenReview, whether they come one after another or at once.
func TestReviewCachedPerToken(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	tok1, tok2 := kube.activatorToken(t, act), kube.activatorToken(t, act)
	s := startAuth(t, kube, nil)
	for i := range 3 {
		c := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "frame applied", func() bool { return s.frames() == float64(i+1) })
		_ = c.Close()
	}
	var conns []net.Conn
	for range 5 {
		conns = append(conns, s.connect(authLine(t, tok2), frameLine(t, "act-1", 1, false)))
	}
	testutil.Eventually(s.t, waitTimeout, "frames applied", func() bool { return s.frames() == 8 })
	if got := s.reviews.calls.Load(); got != 2 {
		t.Errorf("%d TokenReviews for 2 tokens on 8 connections, want 2", got)
	}
	for _, c := range conns {
		assertOpen(t, c)
	}
}

// TestConnectionCaps: the server holds no more connections, unauthenticated
// connections and distinct sources than configured.
func TestConnectionCaps(t *testing.T) {
	kube := apiServer(t)
	act1 := kube.pod(t, kube.ns, "act-1", "wake-activator")
	act2 := kube.pod(t, kube.ns, "act-2", "wake-activator")
	tok1, tok2 := kube.activatorToken(t, act1), kube.activatorToken(t, act2)

	t.Run("connections", func(t *testing.T) {
		s := startAuth(t, kube, func(o *Options, _ *statauth.Options) { o.MaxConnections = 2 })
		a := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		b := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "two connections in", func() bool { return s.frames() == 2 })
		c := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		waitClosed(t, c)
		testutil.Eventually(s.t, waitTimeout, "refusal counted", func() bool { return s.refused(RefuseTooManyConnections) == 1 })
		assertOpen(t, a)
		assertOpen(t, b)
		_ = a.Close()
		testutil.Eventually(s.t, waitTimeout, "a slot is free", func() bool { return s.connections() == 1 })
		s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "third connection in", func() bool { return s.frames() == 3 })
	})
	t.Run("unauthenticated", func(t *testing.T) {
		s := startAuth(t, kube, func(o *Options, _ *statauth.Options) {
			o.MaxUnauthenticated = 2
			o.AuthTimeout = time.Minute
		})
		idle1, idle2 := s.connect(), s.connect("{") // never finish authenticating
		testutil.Eventually(s.t, waitTimeout, "two waiting", func() bool { return s.connections() == 2 })
		late := s.connect(authLine(t, tok1))
		waitClosed(t, late)
		testutil.Eventually(s.t, waitTimeout, "refusal counted", func() bool { return s.refused(RefuseTooManyUnauthenticated) == 1 })
		assertOpen(t, idle1)
		_ = idle2.Close()
		testutil.Eventually(s.t, waitTimeout, "a slot is free", func() bool { return s.connections() == 1 })
		c := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "authenticated connection in", func() bool { return s.frames() == 1 })
		// Authenticated connections do not count against the cap.
		d := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "another one in", func() bool { return s.frames() == 2 })
		assertOpen(t, c)
		assertOpen(t, d)
	})
	t.Run("auth timeout", func(t *testing.T) {
		s := startAuth(t, kube, func(o *Options, _ *statauth.Options) { o.AuthTimeout = 200 * time.Millisecond })
		c := s.connect(`{"token":"`) // a slow start that never ends
		waitClosed(t, c)
		testutil.Eventually(s.t, waitTimeout, "timeout counted", func() bool { return s.refused(RefuseAuthTimeout) == 1 })
	})
	t.Run("sources", func(t *testing.T) {
		s := startAuth(t, kube, func(o *Options, _ *statauth.Options) { o.MaxSources = 1 })
		a := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false))
		testutil.Eventually(s.t, waitTimeout, "act-1 in", func() bool { return s.frames() == 1 })
		b := s.connect(authLine(t, tok1), frameLine(t, "act-1", 1, false)) // same source: fine
		testutil.Eventually(s.t, waitTimeout, "act-1 again", func() bool { return s.frames() == 2 })
		c := s.connect(authLine(t, tok2), frameLine(t, "act-2", 1, false))
		waitClosed(t, c)
		testutil.Eventually(s.t, waitTimeout, "refusal counted", func() bool { return s.refused(RefuseTooManySources) == 1 })
		assertOpen(t, a)
		assertOpen(t, b)
		_, _ = a.Close(), b.Close()
		testutil.Eventually(s.t, waitTimeout, "act-1 gone", func() bool { return s.connections() == 0 })
		s.connect(authLine(t, tok2), frameLine(t, "act-2", 1, false))
		testutil.Eventually(s.t, waitTimeout, "act-2 in", func() bool { return s.frames() == 3 })
	})
}

// TestFrameRateCap: one connection gets FrameBurst lines at once and
// FrameRate a second after that; pokes count, and the rest are dropped.
func TestFrameRateCap(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	s := startAuth(t, kube, func(o *Options, _ *statauth.Options) { o.FrameRate, o.FrameBurst = 2, 3 })
	lines := []string{authLine(t, kube.activatorToken(t, act))}
	for range 10 {
		lines = append(lines, frameLine(t, "act-1", 0, true))
	}
	c := s.connect(lines...)
	testutil.Eventually(s.t, waitTimeout, "drops counted", func() bool { return s.dropped(DropRateLimited) == 7 })
	if got := s.pokesCounted(); got != 3 {
		t.Errorf("%v pokes accepted, want the burst of 3", got)
	}
	s.clock.Step(time.Second) // two more
	for range 3 {
		if _, err := io.WriteString(c, frameLine(t, "act-1", 0, true)); err != nil {
			t.Fatal(err)
		}
	}
	testutil.Eventually(s.t, waitTimeout, "one more drop", func() bool { return s.dropped(DropRateLimited) == 8 })
	if got := s.pokesCounted(); got != 5 {
		t.Errorf("%v pokes accepted, want 5", got)
	}
	assertOpen(t, c)
}

// TestReviewFailsClosed: when the TokenReview API fails, a token that is not
// cached is refused, reviews pause instead of hammering the API server, and
// tokens are accepted again once it answers; forged tokens beyond the
// review rate are refused without a review.
func TestReviewFailsClosed(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	cached, fresh := kube.activatorToken(t, act), kube.activatorToken(t, act)
	s := startAuth(t, kube, func(_ *Options, a *statauth.Options) {
		a.MinBackoff, a.MaxBackoff = time.Second, 4*time.Second
		a.ReviewRate, a.ReviewBurst = 1, 3
	})
	s.connect(authLine(t, cached), frameLine(t, "act-1", 1, false))
	testutil.Eventually(s.t, waitTimeout, "cached token in", func() bool { return s.frames() == 1 })

	s.reviews.fail.Store(true)
	c := s.connect(authLine(t, fresh), frameLine(t, "act-1", 1, false))
	waitClosed(t, c)
	testutil.Eventually(s.t, waitTimeout, "refusal counted", func() bool { return s.refused(statauth.ReasonUnavailable) == 1 })
	for i := range 5 { // within the backoff: refused without a review
		c := s.connect(authLine(t, fresh))
		waitClosed(t, c)
		testutil.Eventually(s.t, waitTimeout, "refusal counted", func() bool { return s.refused(statauth.ReasonUnavailable) == float64(2+i) })
	}
	if got := s.reviews.calls.Load(); got != 2 {
		t.Errorf("%d TokenReviews, want 2 (one ok, one failed, then a pause)", got)
	}
	// A cached token needs no review: an activator that reconnects gets in.
	s.connect(authLine(t, cached), frameLine(t, "act-1", 1, false))
	testutil.Eventually(s.t, waitTimeout, "cached token in during the outage", func() bool { return s.frames() == 2 })

	s.clock.Step(time.Second) // past the backoff, the API still fails: 2 s now
	waitClosed(t, s.connect(authLine(t, fresh)))
	s.clock.Step(time.Second)
	waitClosed(t, s.connect(authLine(t, fresh)))
	if got := s.reviews.calls.Load(); got != 3 {
		t.Errorf("%d TokenReviews, want 3 (the backoff doubled)", got)
	}
	s.reviews.fail.Store(false)
	s.clock.Step(time.Second)
	c = s.connect(authLine(t, fresh), frameLine(t, "act-1", 1, false))
	testutil.Eventually(s.t, waitTimeout, "fresh token in once the API answers", func() bool { return s.frames() == 3 })
	assertOpen(t, c)

	// Forged tokens with plausible claims reach the review, at its rate.
	before := s.reviews.calls.Load()
	forged := fresh[:len(fresh)-4] + flip(fresh[len(fresh)-4:])
	for range 6 {
		waitClosed(t, s.connect(authLine(t, forged)))
	}
	if got := s.reviews.calls.Load() - before; got > 3 {
		t.Errorf("%d TokenReviews for 6 forged tokens at once, want at most the burst of 3", got)
	}
}

// TestTokenReviewChecksAudience checks what the stat server relies on in
// the API server (envtest's here, with the service-account flags that
// hack/cluster sets too): a TokenReview for a custom audience accepts a
// pod-bound token issued for it, says so in status.audiences, names the
// pod in the user's extra, and refuses a token issued for another
// audience.
func TestTokenReviewChecksAudience(t *testing.T) {
	kube := apiServer(t)
	act := kube.pod(t, kube.ns, "act-1", "wake-activator")
	review := func(token string) authenticationv1.TokenReviewStatus {
		t.Helper()
		tr, err := kube.reviews.Create(t.Context(), &authenticationv1.TokenReview{
			Spec: authenticationv1.TokenReviewSpec{Token: token, Audiences: []string{statwire.Audience}},
		}, metav1.CreateOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return tr.Status
	}
	ok := review(kube.activatorToken(t, act))
	if !ok.Authenticated || ok.User.Username != kube.activatorUser() ||
		len(ok.Audiences) != 1 || ok.Audiences[0] != statwire.Audience ||
		len(ok.User.Extra[statauth.PodNameExtra]) != 1 || ok.User.Extra[statauth.PodNameExtra][0] != "act-1" {
		t.Errorf("review of the activator's token: %+v", ok)
	}
	other := review(kube.token(t, kube.ns, "wake-activator", act, "https://kubernetes.default.svc", 600))
	if other.Authenticated {
		t.Errorf("a token for another audience passed a review for %q: %+v", statwire.Audience, other)
	}
}

// TestDispatcherReportsStatsOnly: a dispatcher's pod-bound token is
// accepted and its stats applied, but the usage, logs and metering its
// frames carry are dropped and counted: only the activators see requests.
func TestDispatcherReportsStatsOnly(t *testing.T) {
	kube := apiServer(t)
	kube.serviceAccount(t, kube.ns, "wake-dispatcher")
	dispatcherUser := "system:serviceaccount:" + kube.ns + ":wake-dispatcher"
	pod := kube.pod(t, kube.ns, "disp-1", "wake-dispatcher")
	var usage atomic.Int32
	s := startAuth(t, kube, func(o *Options, a *statauth.Options) {
		a.Usernames = append(a.Usernames, dispatcherUser)
		o.StatsOnly = []string{dispatcherUser}
		o.OnUsage = func(string, *statwire.Usage) { usage.Add(1) }
	})
	f := frame("disp-1", 4)
	f.Usage = &statwire.Usage{Epoch: 1, Day: "2026-12-03"}
	var b strings.Builder
	if err := statwire.Write(&b, f); err != nil {
		t.Fatal(err)
	}
	c := s.connect(authLine(t, kube.token(t, kube.ns, "wake-dispatcher", pod, statwire.Audience, 600)), b.String())
	testutil.Eventually(s.t, waitTimeout, "the dispatcher's frame applied", func() bool { return s.frames() == 1 })
	assertOpen(t, c)
	if got := s.coll.Concurrency(revA, s.clock.Now()); got != 4 {
		t.Errorf("concurrency %v, want the dispatcher's 4", got)
	}
	if got := s.dropped(DropNotAllowed); got != 1 || usage.Load() != 0 {
		t.Errorf("dropped{%s} = %v and %d usage applied, want 1 and 0", DropNotAllowed, got, usage.Load())
	}
}
