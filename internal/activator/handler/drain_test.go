package handler_test

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/testutil"
)

// TestDrainServesQueuedRequests: a request waiting for a cold start when
// draining begins still gets its answer once a pod arrives.
func TestDrainServesQueuedRequests(t *testing.T) {
	e := newEnv(t)
	be := okBackend(t)
	key := e.revision("zero", 0, 0, 0)
	res := make(chan int, 1)
	go func() { c, _, _ := e.get("zero.test", "/"); res <- c }()
	testutil.Eventually(t, 10*time.Second, "queued", func() bool { return e.queued(key) == 1 })
	if n := e.gauge("wake_activator_queue_depth", "zero"); n != 1 {
		t.Errorf("queue depth gauge = %v, want 1", n)
	}
	e.stop()
	testutil.Eventually(t, 10*time.Second, "not ready", func() bool {
		r, err := http.Get("http://" + e.admin + "/readyz")
		if err != nil {
			return false
		}
		_, _ = io.Copy(io.Discard, r.Body)
		_ = r.Body.Close()
		return r.StatusCode == 503
	})
	e.th.SetEndpoints(key, []throttler.Endpoint{{Address: hostOf(be), Ready: true}})
	if c := <-res; c != 200 {
		t.Fatalf("queued request during drain: %d, want 200", c)
	}
	if err := <-e.done; err != nil {
		t.Fatalf("server.Run: %v", err)
	}
	e.done <- nil
}
