package server

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

type running struct {
	data, admin string
	cancel      context.CancelFunc
	done        chan error
}

func start(t *testing.T, cfg Options) *running {
	t.Helper()
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	aln, _ := net.Listen("tcp", "127.0.0.1:0")
	cfg.Listener, cfg.AdminListener = ln, aln
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{data: "http://" + ln.Addr().String(), admin: "http://" + aln.Addr().String(), cancel: cancel, done: make(chan error, 1)}
	go func() { r.done <- Run(ctx, cfg) }()
	t.Cleanup(func() {
		cancel()
		if err := <-r.done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
	return r
}

func status(t *testing.T, url string) int {
	t.Helper()
	res, err := http.Get(url)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, res.Body)
	_ = res.Body.Close()
	return res.StatusCode
}

func TestAdminEndpoints(t *testing.T) {
	loaded := false
	r := start(t, Options{
		Handler: http.NotFoundHandler(),
		Ready:   func() bool { return loaded },
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "m 1\n") }),
	})
	if c := status(t, r.admin+"/healthz"); c != 200 {
		t.Errorf("healthz %d", c)
	}
	if c := status(t, r.admin+"/readyz"); c != 503 {
		t.Errorf("readyz before table %d, want 503", c)
	}
	loaded = true
	if c := status(t, r.admin+"/readyz"); c != 200 {
		t.Errorf("readyz %d", c)
	}
	if c := status(t, r.admin+"/metrics"); c != 200 {
		t.Errorf("metrics %d", c)
	}
	if c := status(t, r.data+"/healthz"); c != 404 {
		t.Errorf("healthz on the data plane: %d, want the function handler's 404", c)
	}
}

func TestDrainFinishesInFlight(t *testing.T) {
	arrived := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			close(arrived)
			<-release
		}
		_, _ = io.WriteString(w, "done")
	})
	r := start(t, Options{Handler: h, DrainGrace: 200 * time.Millisecond, DrainTimeout: 10 * time.Second})
	res := make(chan int, 1)
	go func() { res <- status(t, r.data+"/slow") }()
	<-arrived
	r.cancel()
	// Not ready at once, still serving during the grace period.
	deadline := time.Now().Add(5 * time.Second)
	for status(t, r.admin+"/readyz") != 503 {
		if time.Now().After(deadline) {
			t.Fatal("readyz did not turn 503")
		}
	}
	select {
	case err := <-r.done:
		t.Fatalf("Run returned with a request in flight: %v", err)
	default:
	}
	close(release)
	if c := <-res; c != 200 {
		t.Errorf("in-flight request: %d, want 200", c)
	}
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	r.done <- nil // for Cleanup
	if c := status(t, r.data+"/"); c != 0 {
		t.Errorf("data plane still answering after drain: %d", c)
	}
}

func TestDrainTimeoutCancelsStragglers(t *testing.T) {
	arrived := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(arrived)
		<-r.Context().Done() // a request that only ends when cancelled
	})
	r := start(t, Options{Handler: h, DrainTimeout: 300 * time.Millisecond})
	go status(t, r.data+"/")
	<-arrived
	begin := time.Now()
	r.cancel()
	if err := <-r.done; err != nil {
		t.Errorf("Run: %v", err)
	}
	r.done <- nil
	if d := time.Since(begin); d > 5*time.Second {
		t.Errorf("drain took %v with a 300ms timeout", d)
	}
}

// TestListenersClosedWhenRunReturns: once Run has returned, connecting to
// either address is refused, never accepted and then reset (a peer
// activator forwarding to this one must see "refused" to keep the request).
// The window is a scheduling race, so the test repeats it.
func TestListenersClosedWhenRunReturns(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {})
	for i := range 30 {
		r := start(t, Options{Handler: h})
		if c := status(t, r.admin+"/healthz"); c != 200 {
			t.Fatalf("round %d: healthz %d, want 200", i, c)
		}
		r.cancel()
		if err := <-r.done; err != nil {
			t.Fatalf("round %d: Run: %v", i, err)
		}
		r.done <- nil // for Cleanup
		for _, u := range []string{r.data, r.admin} {
			c, err := net.Dial("tcp", strings.TrimPrefix(u, "http://"))
			if err == nil {
				_ = c.Close()
			}
			if !errors.Is(err, syscall.ECONNREFUSED) {
				t.Fatalf("round %d: dial %s after Run returned: %v, want connection refused", i, u, err)
			}
		}
	}
}
