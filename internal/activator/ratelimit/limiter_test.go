package ratelimit

import (
	"context"
	"hash/fnv"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// clock is a settable clock.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// cluster is n limiters that ask each other over loopback HTTP.
func cluster(t *testing.T, n int, o Options) []*Limiter {
	t.Helper()
	addrs := make([]string, n)
	ls := make([]*Limiter, n)
	peers := func() []string { return addrs }
	for i := range n {
		oi := o
		oi.Peers = peers
		ls[i] = New(oi)
		srv := httptest.NewServer(ls[i].PeerHandler(func(string) bool { return true }))
		t.Cleanup(srv.Close)
		addrs[i] = strings.TrimPrefix(srv.URL, "http://")
	}
	for i, l := range ls {
		l.SetActivators(n, i)
	}
	return ls
}

func request(hdr ...string) *http.Request {
	r := httptest.NewRequest(http.MethodGet, "http://api.test/", nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		r.Header.Set(hdr[i], hdr[i+1])
	}
	return r
}

func TestAdmitKeysPlansAndShadow(t *testing.T) {
	c := &clock{now: t0}
	l := New(Options{Now: c.Now})
	perSecond := func(name string, n int64, key KeyType, header string) Limit {
		return Limit{Name: name, Requests: n, Per: time.Second, Key: key, Header: header}
	}
	tests := []struct {
		name   string
		cfg    Config
		reqs   []func() (*http.Request, string) // request and client ID
		admit  []bool
		header Headers // of the first refusal
	}{
		{
			name:   "one bucket for the rule",
			cfg:    Config{Limits: []Limit{perSecond("all", 2, KeyNone, "")}},
			reqs:   repeat(3, func() (*http.Request, string) { return request(), "" }),
			admit:  []bool{true, true, false},
			header: Headers{RetryAfter: "1", Policy: `"all";q=2;w=1`, State: `"all";r=0;t=1`},
		},
		{
			name: "counted per header value",
			cfg:  Config{Limits: []Limit{perSecond("user", 1, KeyHeader, "X-User")}},
			reqs: []func() (*http.Request, string){
				func() (*http.Request, string) { return request("X-User", "a"), "" },
				func() (*http.Request, string) { return request("X-User", "b"), "" },
				func() (*http.Request, string) { return request("X-User", "a"), "" },
			},
			admit: []bool{true, true, false},
		},
		{
			name: "counted per source address",
			cfg:  Config{Limits: []Limit{perSecond("ip", 1, KeySourceAddress, "")}},
			reqs: []func() (*http.Request, string){
				func() (*http.Request, string) { r := request(); r.RemoteAddr = "10.0.0.1:1000"; return r, "" },
				func() (*http.Request, string) { r := request(); r.RemoteAddr = "10.0.0.2:1000"; return r, "" },
				func() (*http.Request, string) { r := request(); r.RemoteAddr = "10.0.0.1:2000"; return r, "" },
			},
			admit: []bool{true, true, false},
		},
		{
			name: "a plan limits each of its clients; others only by the rules",
			cfg: Config{
				Limits: []Limit{perSecond("all", 100, KeyNone, "")},
				Plans:  []Plan{{Limit: perSecond("free", 1, KeyNone, ""), Clients: []string{"alice", "bob"}}},
			},
			reqs: []func() (*http.Request, string){
				func() (*http.Request, string) { return request(), "alice" },
				func() (*http.Request, string) { return request(), "bob" },
				func() (*http.Request, string) { return request(), "alice" },
				func() (*http.Request, string) { return request(), "carol" },
				func() (*http.Request, string) { return request(), "carol" },
			},
			admit:  []bool{true, true, false, true, true},
			header: Headers{RetryAfter: "1", Policy: `"free";q=1;w=1`, State: `"free";r=0;t=1`},
		},
		{
			name:   "a quota",
			cfg:    Config{Limits: []Limit{{Name: "q", Requests: 100, Per: time.Second, Quota: 2, Period: Day}}},
			reqs:   repeat(3, func() (*http.Request, string) { return request(), "" }),
			admit:  []bool{true, true, false},
			header: Headers{RetryAfter: "2", Policy: `"q";q=100;w=1, "q-quota";q=2;w=86400`, State: `"q";r=0;t=2`},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Namespace, tc.cfg.Scope = "ns", "ns/route/"+string(rune('0'+i))
			p := NewPolicy(tc.cfg)
			var first *Headers
			for j, mk := range tc.reqs {
				r, client := mk()
				d := l.Admit(context.Background(), p, r, client)
				if d.Refused == tc.admit[j] {
					t.Fatalf("request %d: refused %v, want %v", j, d.Refused, !tc.admit[j])
				}
				if d.Refused && first == nil {
					first = &d.Headers
				}
			}
			if tc.header != (Headers{}) && (first == nil || *first != tc.header) {
				t.Errorf("headers %+v, want %+v", first, tc.header)
			}
		})
	}

	t.Run("shadow mode refuses nothing and says what it would have", func(t *testing.T) {
		p := NewPolicy(Config{Namespace: "ns", Scope: "ns/shadow/0", Shadow: true, Limits: []Limit{perSecond("all", 1, KeyNone, "")}})
		if d := l.Admit(context.Background(), p, request(), ""); d.Refused || d.Shadowed {
			t.Fatalf("first request: %+v", d)
		}
		if d := l.Admit(context.Background(), p, request(), ""); d.Refused || !d.Shadowed {
			t.Fatalf("second request: %+v, want shadowed", d)
		}
	})
}

func repeat(n int, f func() (*http.Request, string)) []func() (*http.Request, string) {
	out := make([]func() (*http.Request, string), n)
	for i := range out {
		out[i] = f
	}
	return out
}

func TestSourceAddress(t *testing.T) {
	trusted := func(a string) bool { return strings.HasPrefix(a, "10.9.") }
	tests := []struct {
		remote, xff, want string
	}{
		{"10.0.0.1:5", "", "10.0.0.1"},
		{"10.0.0.1:5", "1.2.3.4", "10.0.0.1"}, // not a trusted proxy: its header is ignored
		{"10.9.0.1:5", "1.2.3.4, 5.6.7.8", "5.6.7.8"},
		{"10.9.0.1:5", "garbage", "10.9.0.1"},
		{"[fd00::1]:5", "", "fd00::1"},
	}
	for _, tc := range tests {
		r := request()
		r.RemoteAddr = tc.remote
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := SourceAddress(r, trusted); got != tc.want {
			t.Errorf("SourceAddress(%s, %q) = %q, want %q", tc.remote, tc.xff, got, tc.want)
		}
	}
}

func TestLongKeyValuesAreHashed(t *testing.T) {
	p := NewPolicy(Config{Namespace: "ns", Scope: "s", Limits: []Limit{{Name: "h", Requests: 1, Per: time.Second, Key: KeyHeader, Header: "X-K"}}})
	long := strings.Repeat("x", 10000)
	k := p.limits[0].keyOf(request("X-K", long), "", nil)
	if len(k) > maxRawKey || k == p.limits[0].keyOf(request("X-K", long+"y"), "", nil) {
		t.Fatalf("key of a long value %q: not a short hash", k)
	}
}

func TestNamespaceKeyCap(t *testing.T) {
	c := &clock{now: t0}
	l := New(Options{Now: c.Now, MaxKeysPerNamespace: 3})
	p := NewPolicy(Config{Namespace: "ns", Scope: "s", Limits: []Limit{{Name: "h", Requests: 1, Per: time.Minute, Key: KeyHeader, Header: "X-K"}}})
	other := NewPolicy(Config{Namespace: "other", Scope: "o", Limits: []Limit{{Name: "h", Requests: 1, Per: time.Minute, Key: KeyHeader, Header: "X-K"}}})
	for i, v := range []string{"a", "b", "c"} {
		if d := l.Admit(context.Background(), p, request("X-K", v), ""); d.Refused {
			t.Fatalf("key %d refused under the cap", i)
		}
	}
	if d := l.Admit(context.Background(), p, request("X-K", "d"), ""); !d.Refused {
		t.Fatal("a fourth key admitted over the cap of 3")
	}
	if d := l.Admit(context.Background(), other, request("X-K", "a"), ""); d.Refused {
		t.Fatal("another namespace refused for the first one's keys")
	}
	c.Add(2 * time.Minute) // the buckets are full again: idle
	l.Sweep()
	if n := l.Keys("ns"); n != 0 {
		t.Fatalf("%d keys left after the sweep, want 0", n)
	}
	if d := l.Admit(context.Background(), p, request("X-K", "d"), ""); d.Refused {
		t.Fatal("refused after the sweep freed the keys")
	}
}

// TestTwoActivatorsAdmitTheLimit: requests spread over two activators are
// admitted as one bucket would admit them: with a clock that steps, the
// count is exact but for what a lease holds unspent.
func TestTwoActivatorsAdmitTheLimit(t *testing.T) {
	c := &clock{now: t0}
	ls := cluster(t, 2, Options{Now: c.Now})
	const rate, burst = 100, 20
	// Several keys, so that both activators own some.
	var policies []*Policy
	for _, scope := range []string{"a", "b", "c", "d"} {
		policies = append(policies, NewPolicy(Config{Namespace: "ns", Scope: scope, Limits: []Limit{{Name: "l", Requests: rate, Per: time.Second, Burst: burst}}}))
	}
	const seconds = 5
	for _, p := range policies {
		admitted := 0
		// 4 requests per ms (40x the rate), alternating activators.
		for ms := 0; ms < seconds*1000; ms++ {
			for i := range 4 {
				if d := ls[i%2].Admit(context.Background(), p, request(), ""); !d.Refused {
					admitted++
				}
			}
			c.Add(time.Millisecond)
		}
		want := burst + rate*seconds
		if admitted > want || float64(admitted) < 0.95*float64(want) {
			t.Errorf("scope %v: admitted %d, want %d (within 5%% below)", p.limits[0].id, admitted, want)
		}
	}
}

// TestTwoActivatorsConcurrent: with a real clock and clients on both
// activators at once, no more than the limit is admitted, and not less
// than 95% of it.
func TestTwoActivatorsConcurrent(t *testing.T) {
	ls := cluster(t, 2, Options{})
	const rate, burst = 400, 40
	p := NewPolicy(Config{Namespace: "ns", Scope: "concurrent", Limits: []Limit{{Name: "l", Requests: rate, Per: time.Second, Burst: burst}}})
	const dur = 1500 * time.Millisecond
	var admitted atomic.Int64
	start := time.Now()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < dur {
				if d := ls[g%2].Admit(context.Background(), p, request(), ""); !d.Refused {
					admitted.Add(1)
				}
				time.Sleep(200 * time.Microsecond)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start).Seconds()
	most := burst + rate*elapsed
	least := 0.95 * (burst + rate*dur.Seconds())
	if n := float64(admitted.Load()); n > most || n < least {
		t.Fatalf("admitted %v in %.2fs, want between %.0f and %.0f", n, elapsed, least, most)
	}
}

func TestFNV32aIsHashFNV(t *testing.T) {
	for _, s := range []string{"", "a", "ns/api/0/all/20/20/0//:\x00key"} {
		h := fnv.New32a()
		_, _ = h.Write([]byte(s))
		if got, want := fnv32a(s), h.Sum32(); got != want {
			t.Errorf("fnv32a(%q) = %x, want %x", s, got, want)
		}
	}
}

func TestOwnerDownCountsHereAtAShare(t *testing.T) {
	c := &clock{now: t0}
	l := New(Options{Now: c.Now, Peers: func() []string { return []string{"127.0.0.1:1", "127.0.0.1:1"} }})
	l.SetActivators(2, 0)
	// Find a key the unreachable peer owns.
	var p *Policy
	for i := 0; p == nil; i++ {
		cand := NewPolicy(Config{Namespace: "ns", Scope: string(rune('a' + i)), Limits: []Limit{{Name: "l", Requests: 10, Per: time.Second}}})
		l.mu.Lock()
		_, mine := l.ownerLocked(cand.limits[0].id+"\x00", t0)
		l.mu.Unlock()
		if !mine {
			p = cand
		}
	}
	admitted := 0
	for range 20 {
		if d := l.Admit(context.Background(), p, request(), ""); !d.Refused {
			admitted++
		}
	}
	if admitted != 5 {
		t.Fatalf("admitted %d with the owner down, want this activator's share of the burst, 5", admitted)
	}
}

func TestPeerHandlerRefusesStrangersAndGarbage(t *testing.T) {
	l := New(Options{})
	h := l.PeerHandler(func(a string) bool { return strings.HasPrefix(a, "10.1.") })
	tests := []struct {
		name, remote, body string
		want               int
	}{
		{"not a peer", "10.2.0.1:5", `{"ns":"a","k":"k","s":{"r":1,"b":1},"n":1}`, http.StatusForbidden},
		{"not JSON", "10.1.0.1:5", `{`, http.StatusBadRequest},
		{"no rate", "10.1.0.1:5", `{"ns":"a","k":"k","s":{"r":0,"b":1},"n":1}`, http.StatusBadRequest},
		{"more than the burst", "10.1.0.1:5", `{"ns":"a","k":"k","s":{"r":1,"b":1},"n":2}`, http.StatusBadRequest},
		{"too big", "10.1.0.1:5", `{"ns":"a","k":"` + strings.Repeat("k", 5000) + `","s":{"r":1,"b":1},"n":1}`, http.StatusBadRequest},
		{"granted", "10.1.0.1:5", `{"ns":"a","k":"k","s":{"r":1,"b":1},"n":1}`, http.StatusOK},
	}
	for _, tc := range tests {
		r := httptest.NewRequest(http.MethodPost, PeerPath, strings.NewReader(tc.body))
		r.RemoteAddr = tc.remote
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != tc.want {
			t.Errorf("%s: %d, want %d (%s)", tc.name, w.Code, tc.want, w.Body)
		}
	}
}
