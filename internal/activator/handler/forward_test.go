package handler_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/wakefn/wake/internal/activator/proxy"
	"github.com/wakefn/wake/internal/activator/routing"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/testutil"
)

// ccOnePod is a pod with containerConcurrency 1: it records the most
// requests it saw at once, and any internal header that reached it.
type ccOnePod struct {
	*httptest.Server
	cur, peak, served, leaked atomic.Int32
}

func newCCOnePod(t *testing.T) *ccOnePod {
	p := &ccOnePod{}
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := p.cur.Add(1)
		defer p.cur.Add(-1)
		for {
			m := p.peak.Load()
			if n <= m || p.peak.CompareAndSwap(m, n) {
				break
			}
		}
		for k := range r.Header {
			if strings.HasPrefix(k, proxy.InternalHeaderPrefix) {
				p.leaked.Add(1)
			}
		}
		_, _ = io.Copy(io.Discard, r.Body)
		time.Sleep(time.Millisecond)
		p.served.Add(1)
		_, _ = io.WriteString(w, "ok")
	}))
	t.Cleanup(p.Close)
	return p
}

// twoActivators starts activators 0 and 1 on 127.0.0.1, each the other's
// peer, with revision ns/fn (cc=1, one pod) registered on both. It returns
// them ordered as (no share, owner).
func twoActivators(t *testing.T, pod string) (zero, owner *env) {
	return twoActivatorsProto(t, pod, routing.ProtocolHTTP1)
}

// twoActivatorsProto is twoActivators for a pod that speaks proto.
func twoActivatorsProto(t *testing.T, pod string, proto routing.Protocol) (zero, owner *env) {
	var addrs atomic.Pointer[[]string]
	peers := func() []string { return *addrs.Load() }
	a, b := newPeerEnv(t, peers), newPeerEnv(t, peers)
	addrs.Store(&[]string{a.addr, b.addr})
	a.th.SetActivators(2, 0)
	b.th.SetActivators(2, 1)
	in := routing.RevisionInput{Key: types.NamespacedName{Namespace: "ns", Name: "fn"}, TimeoutSeconds: 10, Protocol: proto}
	for _, e := range []*env{a, b} {
		e.register(in, 1, 100, pod)
	}
	key := a.revs[0].Key
	sa, _ := a.th.Stats(key)
	sb, _ := b.th.Stats(key)
	switch {
	case sa.Capacity == 0 && sb.Capacity == 1:
		return a, b
	case sa.Capacity == 1 && sb.Capacity == 0:
		return b, a
	}
	t.Fatalf("capacities %d and %d, want 0 and 1", sa.Capacity, sb.Capacity)
	return nil, nil
}

// TestForwardToOwner: with one cc=1 pod and two activators, requests sent
// to either activator are all answered, and the pod never gets two at once.
func TestForwardToOwner(t *testing.T) {
	pod := newCCOnePod(t)
	zero, owner := twoActivators(t, hostOf(pod.Server))
	const perActivator, workers = 40, 4
	var wg sync.WaitGroup
	errs := make(chan error, 2*workers*perActivator)
	for _, e := range []*env{zero, owner} {
		for range workers {
			wg.Go(func() {
				for range perActivator / workers {
					code, _, body, err := e.do(context.Background(), "GET", "fn.test", "/")
					if err != nil || code != 200 || body != "ok" {
						errs <- fmt.Errorf("via %s: %d %q %v", e.addr, code, body, err)
					}
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := pod.served.Load(); n != 2*perActivator {
		t.Errorf("pod served %d, want %d", n, 2*perActivator)
	}
	if p := pod.peak.Load(); p != 1 {
		t.Errorf("pod saw %d requests at once, want 1", p)
	}
	if n := pod.leaked.Load(); n != 0 {
		t.Errorf("%d internal headers reached the pod", n)
	}
	key := zero.revs[0].Key
	if st, _ := zero.th.Stats(key); st.Requests != 0 {
		t.Errorf("the activator without share took %d requests itself, want 0", st.Requests)
	}
	if st, _ := owner.th.Stats(key); st.Requests != 2*perActivator {
		t.Errorf("the owner took %d requests, want %d", st.Requests, 2*perActivator)
	}
	// Each request is in the usage once: where it arrived, not where it
	// was forwarded to.
	var counted int64
	for _, e := range []*env{zero, owner} {
		if u := e.dp.Usage.Snapshot(); u != nil {
			for _, en := range u.Entries {
				counted += en.Classes[1]
			}
		}
	}
	if counted != 2*perActivator {
		t.Errorf("usage counts %d requests, want %d", counted, 2*perActivator)
	}
}

// TestForwardOnce: a request that arrives forwarded and finds no share
// waits where it is instead of going on.
func TestForwardOnce(t *testing.T) {
	pod := newCCOnePod(t)
	zero, owner := twoActivators(t, hostOf(pod.Server))
	key := zero.revs[0].Key
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		req, _ := http.NewRequestWithContext(ctx, "GET", "http://"+zero.addr+"/", nil)
		req.Host = "fn.test"
		req.Header.Set(proxy.ForwardedHeader, "1")
		if res, err := http.DefaultClient.Do(req); err == nil {
			_ = res.Body.Close()
			t.Errorf("forwarded request answered %d, want it held", res.StatusCode)
		}
	}()
	testutil.Eventually(t, 10*time.Second, "forwarded request queued", func() bool { return zero.queued(key) == 1 })
	if st, _ := owner.th.Stats(key); st.Requests != 0 {
		t.Errorf("owner got %d requests, want 0", st.Requests)
	}
	cancel()
	<-done
	testutil.Eventually(t, 10*time.Second, "queue empty", func() bool { return zero.queued(key) == 0 })
	if n := pod.served.Load(); n != 0 {
		t.Errorf("pod served %d", n)
	}
}

// TestForwardAfterColdStart: requests held for a cold start on the
// activator that then gets no share go to the owner as soon as the pod is
// up, and report their wait.
func TestForwardAfterColdStart(t *testing.T) {
	pod := newCCOnePod(t)
	zero, owner := twoActivators(t, hostOf(pod.Server))
	key := zero.revs[0].Key
	for _, e := range []*env{zero, owner} {
		e.th.SetEndpoints(key, nil) // scaled to zero
	}
	type res struct {
		code int
		h    http.Header
	}
	ch := make(chan res, 1)
	go func() {
		code, h, _, _ := zero.do(context.Background(), "GET", "fn.test", "/")
		ch <- res{code, h}
	}()
	testutil.Eventually(t, 10*time.Second, "cold start queued", func() bool { return zero.queued(key) == 1 })
	time.Sleep(20 * time.Millisecond)
	for _, e := range []*env{owner, zero} {
		e.th.SetEndpoints(key, []throttler.Endpoint{{Address: hostOf(pod.Server), Ready: true}})
	}
	select {
	case r := <-ch:
		if r.code != 200 || r.h.Get(proxy.ColdStartHeader) == "" {
			t.Errorf("got %d, cold start header %q; want 200 with the header", r.code, r.h.Get(proxy.ColdStartHeader))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("request held after the pod came up")
	}
}

// TestForwardOwnerUnreachable: when the owner refuses connections, the
// request waits on the activator it reached, counted there, and is served
// as soon as that activator has a share.
func TestForwardOwnerUnreachable(t *testing.T) {
	pod := newCCOnePod(t)
	zero, owner := twoActivators(t, hostOf(pod.Server))
	key := zero.revs[0].Key
	owner.stop()
	err := <-owner.done
	owner.done <- err // for owner's cleanup

	type res struct {
		code int
		body string
		err  error
	}
	ch := make(chan res, 1)
	go func() {
		code, _, body, err := zero.do(context.Background(), "GET", "fn.test", "/")
		ch <- res{code, body, err}
	}()
	testutil.Eventually(t, 10*time.Second, "request waiting here", func() bool { return zero.queued(key) == 1 })
	zero.th.SetActivators(1, 0) // the owner is gone from the activators' endpoints
	select {
	case r := <-ch:
		if r.err != nil || r.code != 200 || r.body != "ok" {
			t.Fatalf("got %d %q %v, want 200 ok", r.code, r.body, r.err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("request still held after this activator got the whole share")
	}
	if n, l := pod.served.Load(), pod.leaked.Load(); n != 1 || l != 0 {
		t.Errorf("pod served %d with %d internal headers, want 1 with 0", n, l)
	}
	if st, _ := zero.th.Stats(key); st.Requests != 1 {
		t.Errorf("this activator took %d requests, want 1", st.Requests)
	}
}

// TestForwardGRPC: a gRPC call (h2c client, h2c pod) that crosses the
// HTTP/1.1 hop between activators keeps its body, protocol to the pod and
// trailers.
func TestForwardGRPC(t *testing.T) {
	pod := singleProtocolPod(t, routing.ProtocolH2C)
	zero, owner := twoActivatorsProto(t, hostOf(pod), routing.ProtocolH2C)
	h2c := &http.Transport{Protocols: new(http.Protocols)}
	h2c.Protocols.SetUnencryptedHTTP2(true)
	defer h2c.CloseIdleConnections()
	req, _ := http.NewRequest("POST", "http://"+zero.addr+"/pkg.Svc/Method", strings.NewReader("request"))
	req.Host = "fn.test"
	req.Header.Set("Content-Type", "application/grpc")
	req.Header.Set("Te", "trailers")
	res, err := (&http.Client{Transport: h2c}).Do(req)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	_ = res.Body.Close()
	if res.StatusCode != 200 || string(b) != "HTTP/2.0" || res.Trailer.Get("Grpc-Status") != "0" {
		t.Fatalf("got %d %q trailers %v; want 200 \"HTTP/2.0\" with Grpc-Status 0", res.StatusCode, b, res.Trailer)
	}
	key := zero.revs[0].Key
	if st, _ := owner.th.Stats(key); st.Requests != 1 {
		t.Errorf("the owner took %d requests, want 1 (forwarded)", st.Requests)
	}
}
