package app

import (
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"

	"github.com/wakefn/wake/internal/activator/keeper"
)

// TestReadyListenerHoldsUntilReady: a connection queued before the
// activator is ready is accepted only once it is; Close ends the wait.
func TestReadyListenerHoldsUntilReady(t *testing.T) {
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var ready atomic.Bool
	ln := whenReady(raw, ready.Load)
	defer func() { _ = ln.Close() }()
	conn, err := net.Dial("tcp", raw.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = conn.Close() }()
	accepted := make(chan error, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			_ = c.Close()
		}
		accepted <- err
	}()
	select {
	case err := <-accepted:
		t.Fatalf("accepted before ready: %v", err)
	case <-time.After(20 * readyPoll):
	}
	ready.Store(true)
	select {
	case err := <-accepted:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("not accepted once ready")
	}

	waiting := whenReady(raw, func() bool { return false })
	go func() { _, err := waiting.Accept(); accepted <- err }()
	_ = waiting.Close()
	select {
	case err := <-accepted:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("Accept after Close: %v, want closed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end Accept's wait")
	}
}

// TestKeptListener: the activator takes the keeper's listener on its own
// port, and fails clearly when the keeper holds another port or is not
// there.
func TestKeptListener(t *testing.T) {
	dir, err := os.MkdirTemp("", "keeper")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = os.RemoveAll(dir) }()
	socket := filepath.Join(dir, "k.sock")
	o := Options{KeeperSocket: socket, KeeperWait: 200 * time.Millisecond}
	if _, _, err := keptListener(context.Background(), o); err == nil || !strings.Contains(err.Error(), socket) {
		t.Fatalf("no keeper: %v, want an error naming its socket", err)
	}

	k, err := keeper.New(keeper.Options{Socket: socket, Addrs: []string{"127.0.0.1:0"}, Log: logr.Discard()})
	if err != nil {
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- k.Run(ctx) }()
	defer func() {
		stop()
		if err := <-done; err != nil {
			t.Errorf("keeper: %v", err)
		}
	}()
	_, port, _ := net.SplitHostPort(k.Addrs()[0])

	o.Addr = ":1"
	if _, _, err := keptListener(context.Background(), o); err == nil || !strings.Contains(err.Error(), ":1") {
		t.Fatalf("keeper on another port: %v, want an error", err)
	}
	o.Addr = ":" + port
	ln, lease, err := keptListener(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	_ = lease.Close()
	_ = ln.Close()
}
