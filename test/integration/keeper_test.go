package integration

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/go-logr/logr"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/wakefn/wake/internal/activator/app"
	"github.com/wakefn/wake/internal/activator/keeper"
)

// TestActivatorTakesKeptListener: an activator run with a listener keeper
// serves on the keeper's socket. A request sent while no activator runs
// waits in the socket's backlog and is answered by the function once an
// activator has loaded its routes (not 404 by one that has not yet); a
// graceful stop releases the socket, so the port then refuses.
func TestActivatorTakesKeptListener(t *testing.T) {
	ctx := context.Background()
	if err := k8s.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "wake-system"}}); client.IgnoreAlreadyExists(err) != nil {
		t.Fatal(err)
	}
	ns := namespace(t, "kept")
	if err := k8s.Create(ctx, sampleFunction(t, ns)); err != nil {
		t.Fatal(err)
	}
	serveRevision(t, ns, "hello-00001", backend(t, "v1"))

	dir, err := os.MkdirTemp("", "keeper")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	socket := filepath.Join(dir, "k.sock")
	k, err := keeper.New(keeper.Options{Socket: socket, Addrs: []string{"127.0.0.1:0"}, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	kctx, stopKeeper := context.WithCancel(ctx)
	kdone := make(chan error, 1)
	go func() { kdone <- k.Run(kctx) }()
	defer func() {
		stopKeeper()
		if err := <-kdone; err != nil {
			t.Errorf("keeper: %v", err)
		}
	}()
	addr := k.Addrs()[0]

	queued, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatalf("connect before any activator runs: %v, want queued", err)
	}
	defer func() { _ = queued.Close() }()
	if _, err := io.WriteString(queued, "GET /x HTTP/1.1\r\nHost: hello."+ns+".example.com\r\n\r\n"); err != nil {
		t.Fatal(err)
	}

	stop := runActivator(t, app.Options{KeeperSocket: socket, KeeperWait: 10 * time.Second, Addr: addr})
	_ = queued.SetDeadline(time.Now().Add(waitTimeout))
	res, err := http.ReadResponse(bufio.NewReader(queued), nil)
	if err != nil {
		t.Fatalf("queued request: %v", err)
	}
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != http.StatusOK || string(body) != "v1 GET /x" {
		t.Fatalf("queued request: %d %q, want 200 %q", res.StatusCode, body, "v1 GET /x")
	}

	if err := stop(); err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("activator: %v", err)
	}
	if c, err := net.Dial("tcp", addr); !errors.Is(err, syscall.ECONNREFUSED) {
		if c != nil {
			_ = c.Close()
		}
		t.Fatalf("connect after a graceful stop: %v, want refused", err)
	}
}
