//go:build e2e

package e2e

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// TestContainerConcurrencyOneSinglePod sends requests, one at a time and each
// on a new connection (so they spread over the activator replicas), to an
// idle containerConcurrency: 1 function pinned to one pod. Every request
// should get 200 at once.
//
// Each pod's cc slots are split among the activator replicas; with one slot
// and two activators one of them has no share and forwards its requests to
// the other (it used to hold them until timeoutSeconds).
func TestContainerConcurrencyOneSinglePod(t *testing.T) {
	ns := newNamespace(t, "single")
	create(t, newFunction(ns, "single", "sleep", withSerial(), withScaleBounds(1, 1), withTimeout(20)))
	waitFunctionReady(t, ns, "single", 2*time.Minute)
	testutil.Eventually(t, 2*time.Minute, "one ready pod", func(ctx context.Context) error {
		return readyPodsAre(ctx, ns, "single-00001", 1)
	})
	host := functionHost(ns, "single")
	client := &http.Client{
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var d net.Dialer
				return d.DialContext(ctx, network, suite.activator)
			},
		},
		Timeout: 5 * time.Second,
	}
	const n = 10
	failed := 0
	for i := range n {
		resp, err := client.Get("http://" + host + "/")
		if err != nil {
			failed++
			t.Logf("request %d: %v", i+1, err)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			failed++
			t.Logf("request %d: %d", i+1, resp.StatusCode)
		}
	}
	if failed > 0 {
		t.Fatalf("%d of %d sequential requests to an idle single pod did not get 200 within 5s", failed, n)
	}
}
