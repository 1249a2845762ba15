package handler_test

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/routing"
)

// recordingPod answers "ok" and records every request it gets, and sends
// internal headers in every spelling, which must not reach the client.
type recordingPod struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []*http.Request // with Body replaced by nil
}

func newRecordingPod(t *testing.T) *recordingPod {
	p := &recordingPod{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		r.Body = nil
		p.mu.Lock()
		p.reqs = append(p.reqs, r)
		p.mu.Unlock()
		w.Header()["wake_internal_secret"] = []string{"1"}
		w.Header()["WAKE-INTERNAL-SECRET"] = []string{"1"}
		w.Header()["Wake_Cold_Start"] = []string{"1"}
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(p.Close)
	return p
}

func (p *recordingPod) requests() []*http.Request {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]*http.Request(nil), p.reqs...)
}

// ingressEnv is an activator with hosts fn.test and other.test routing
// every path to their own pods, and pub.test routing only Prefix /public.
func ingressEnv(t *testing.T) (e *env, fn, other, pub *recordingPod) {
	e = newEnv(t)
	fn, other, pub = newRecordingPod(t), newRecordingPod(t), newRecordingPod(t)
	e.revision("fn", 0, 100, 10, hostOf(fn.Server))
	e.revision("other", 0, 100, 10, hostOf(other.Server))
	pubKey := e.revision("pub", 0, 100, 10, hostOf(pub.Server))
	// Replace pub.test's rules by Prefix /public alone.
	e.mu.Lock()
	in := routing.Input{Revisions: e.revs}
	for _, name := range []string{"fn", "other"} {
		in.Routes = append(in.Routes, routing.RouteInput{Namespace: "ns", Name: name, Hosts: []string{name + ".test"},
			Rules: []routing.RuleInput{{Match: routing.MatchInput{Path: "/"}, Traffic: []routing.TrafficInput{{Revision: types.NamespacedName{Namespace: "ns", Name: name}, Percent: 100}}}}})
	}
	in.Routes = append(in.Routes, routing.RouteInput{Namespace: "ns", Name: "pub", Hosts: []string{"pub.test"},
		Rules: []routing.RuleInput{{Match: routing.MatchInput{Path: "/public"}, Traffic: []routing.TrafficInput{{Revision: pubKey, Percent: 100}}}}})
	e.mu.Unlock()
	tbl, problems := routing.Build(in)
	if len(problems) > 0 {
		t.Fatalf("routing problems: %v", problems)
	}
	e.table.Store(tbl)
	return e, fn, other, pub
}

// rawResult is what a client saw on one connection.
type rawResult struct {
	codes   []int
	headers []http.Header
	closed  bool // the activator closed the connection after the answers
}

// exchange writes raw on a new connection from local (an IP) to addr, reads
// up to want answers, then whether the connection is closed.
func exchange(t *testing.T, addr, local, raw string, want int) rawResult {
	t.Helper()
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(local)}}
	c, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Close() }()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(c, raw); err != nil {
		t.Fatal(err)
	}
	var r rawResult
	br := bufio.NewReader(c)
	for range want {
		res, err := http.ReadResponse(br, nil)
		if err != nil {
			r.closed = true
			return r
		}
		_, _ = io.Copy(io.Discard, res.Body)
		_ = res.Body.Close()
		r.codes = append(r.codes, res.StatusCode)
		r.headers = append(r.headers, res.Header)
	}
	_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	_, err = br.ReadByte()
	r.closed = errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || isReset(err)
	return r
}

func isReset(err error) bool {
	return err != nil && !errors.Is(err, os.ErrDeadlineExceeded) && strings.Contains(err.Error(), "reset")
}

// TestIngressStrictParsing sends raw requests on real connections: the
// cases of issue 9 item 5 (conflicting framing, obsolete line folding,
// absolute-form authority, dot-segments, encoded slashes, internal and
// forwarding headers), and pipelines the activator must still frame right.
func TestIngressStrictParsing(t *testing.T) {
	e, fn, other, pub := ingressEnv(t)
	chunkedSmuggle := "0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: fn.test\r\n\r\n"
	tests := []struct {
		name      string
		raw       string
		want      []int
		closed    bool
		fnPaths   []string // paths fn's pod saw, in order
		otherReqs int
		pubPaths  []string
		check     func(t *testing.T, r rawResult, fnReqs []*http.Request)
	}{{
		name:   "Content-Length with Transfer-Encoding",
		raw:    "POST / HTTP/1.1\r\nHost: fn.test\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name: "CL.TE smuggling",
		raw: "POST / HTTP/1.1\r\nHost: fn.test\r\nContent-Length: " + itoa(len(chunkedSmuggle)) +
			"\r\nTransfer-Encoding: chunked\r\n\r\n" + chunkedSmuggle,
		want:   []int{400},
		closed: true,
	}, {
		name:   "differing Content-Lengths",
		raw:    "POST / HTTP/1.1\r\nHost: fn.test\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd",
		want:   []int{400},
		closed: true,
	}, {
		name:   "Transfer-Encoding other than chunked",
		raw:    "POST / HTTP/1.1\r\nHost: fn.test\r\nTransfer-Encoding: gzip, chunked\r\n\r\n0\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name:   "Transfer-Encoding in HTTP/1.0",
		raw:    "POST / HTTP/1.0\r\nHost: fn.test\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name:   "obsolete line folding",
		raw:    "GET / HTTP/1.1\r\nHost: fn.test\r\nX-A: 1\r\n folded\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name:   "folding after a good request refuses only the second",
		raw:    "GET /first HTTP/1.1\r\nHost: fn.test\r\n\r\nGET /second HTTP/1.1\r\nHost: fn.test\r\nX-A: 1\r\n\tfolded\r\n\r\n",
		want:   []int{200, 400},
		closed: true, fnPaths: []string{"/first"},
	}, {
		name:   "absolute-form target naming another host",
		raw:    "GET http://other.test/ HTTP/1.1\r\nHost: fn.test\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name:   "absolute-form target with userinfo",
		raw:    "GET http://fn.test@other.test/ HTTP/1.1\r\nHost: fn.test\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name:    "absolute-form target naming Host",
		raw:     "GET http://FN.test/x?q=1 HTTP/1.1\r\nHost: fn.test\r\n\r\n",
		want:    []int{200},
		fnPaths: []string{"/x?q=1"},
	}, {
		name:    "an upgrade that does not happen closes the connection",
		raw:     "GET /up HTTP/1.1\r\nHost: fn.test\r\nConnection: Upgrade\r\nUpgrade: foo\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: fn.test\r\n\r\n",
		want:    []int{200},
		closed:  true,
		fnPaths: []string{"/up"},
	}, {
		name: "pipelined bodies are followed",
		raw: "POST /cl HTTP/1.1\r\nHost: fn.test\r\nContent-Length: 33\r\n\r\nGET / HTTP/1.1\r\nX: a\r\n folded\r\n\r\n" +
			"POST /chunked HTTP/1.1\r\nHost: fn.test\r\nTransfer-Encoding: Chunked\r\n\r\n5;ext=1\r\nhello\r\n3 \r\nGET\r\n0\r\nX-Trailer: 1\r\n\r\n" +
			"\r\nGET /last HTTP/1.1\r\nHost: fn.test\r\n\r\n",
		want:    []int{200, 200, 200},
		fnPaths: []string{"/cl", "/chunked", "/last"},
	}, {
		name:     "dot-segments are removed before matching",
		raw:      "GET /public/../admin HTTP/1.1\r\nHost: pub.test\r\n\r\n",
		want:     []int{404},
		pubPaths: nil,
	}, {
		name: "encoded dot-segments are removed before matching",
		raw:  "GET /public/%2e%2E/admin HTTP/1.1\r\nHost: pub.test\r\n\r\n",
		want: []int{404},
	}, {
		name:     "the pod sees the path that matched",
		raw:      "GET /x/../public/./a/../b%20c?q=/../ HTTP/1.1\r\nHost: pub.test\r\n\r\n",
		want:     []int{200},
		pubPaths: []string{"/public/b%20c?q=/../"},
	}, {
		name: "encoded slash",
		raw:  "GET /public/..%2Fadmin HTTP/1.1\r\nHost: pub.test\r\n\r\n",
		want: []int{400},
	}, {
		name: "encoded backslash",
		raw:  "GET /public/..%5cadmin HTTP/1.1\r\nHost: pub.test\r\n\r\n",
		want: []int{400},
	}, {
		name:   "non-ASCII host",
		raw:    "GET / HTTP/1.1\r\nHost: f\xc3\xa9.test\r\n\r\n",
		want:   []int{400},
		closed: true,
	}, {
		name:   "head larger than MaxHeaderBytes is still 431",
		raw:    "GET / HTTP/1.1\r\nHost: fn.test\r\nX-Big: " + strings.Repeat("a", 12<<10) + "\r\n\r\n",
		want:   []int{431},
		closed: true,
	}, {
		name: "internal and forwarding headers in every spelling",
		raw: "GET /h HTTP/1.1\r\nHost: fn.test\r\nwake_internal_forwarded: 1\r\nWAKE-INTERNAL-X: 1\r\nwake_cold_start: 1\r\n" +
			"X-Forwarded-For: 6.6.6.6\r\nx_forwarded_for: 6.6.6.6\r\nX-Real-IP: 6.6.6.6\r\nx_real_ip: 6.6.6.6\r\nForwarded: for=6.6.6.6\r\n" +
			"X-Forwarded-Proto: https\r\nX-Forwarded-Host: evil.test\r\nX-Forwarded-Prefix: /evil\r\n\r\n",
		want:    []int{200},
		fnPaths: []string{"/h"},
		check: func(t *testing.T, r rawResult, fnReqs []*http.Request) {
			for k := range r.headers[0] {
				if n := normName(k); strings.HasPrefix(n, "wake-internal") || n == "wake-cold-start" {
					t.Errorf("client got internal header %q", k)
				}
			}
			h := fnReqs[0].Header
			for k, v := range h {
				n := normName(k)
				if strings.HasPrefix(n, "wake-internal") || n == "wake-cold-start" || n == "x-real-ip" || n == "forwarded" || n == "x-forwarded-prefix" || k != http.CanonicalHeaderKey(k) && strings.HasPrefix(n, "x-forwarded") {
					t.Errorf("pod got client header %s: %q", k, v)
				}
			}
			want := map[string]string{"X-Forwarded-For": "127.0.0.2", "X-Forwarded-Proto": "http", "X-Forwarded-Host": "fn.test"}
			for k, v := range want {
				if got := strings.Join(h[k], ","); got != v {
					t.Errorf("pod got %s %q, want %q", k, got, v)
				}
			}
		},
	}}
	seen := func(p *recordingPod) int { return len(p.requests()) }
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f0, o0, p0 := seen(fn), seen(other), seen(pub)
			r := exchange(t, e.addr, "127.0.0.2", tt.raw, len(tt.want))
			if !equalInts(r.codes, tt.want) || r.closed != tt.closed {
				t.Errorf("got %v closed=%v, want %v closed=%v", r.codes, r.closed, tt.want, tt.closed)
			}
			fnReqs := fn.requests()[f0:]
			if got := uris(fnReqs); strings.Join(got, " ") != strings.Join(tt.fnPaths, " ") {
				t.Errorf("fn's pod saw %q, want %q", got, tt.fnPaths)
			}
			if got := uris(pub.requests()[p0:]); strings.Join(got, " ") != strings.Join(tt.pubPaths, " ") {
				t.Errorf("pub's pod saw %q, want %q", got, tt.pubPaths)
			}
			if n := seen(other) - o0; n != tt.otherReqs {
				t.Errorf("other's pod saw %d requests, want %d", n, tt.otherReqs)
			}
			if tt.check != nil && len(r.codes) > 0 && len(fnReqs) > 0 {
				tt.check(t, r, fnReqs)
			}
		})
	}
}

func normName(k string) string { return strings.ReplaceAll(strings.ToLower(k), "_", "-") }

func uris(rs []*http.Request) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.RequestURI)
	}
	return out
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }
