package keeper

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/wakefn/wake/internal/testutil"
)

// startChild starts a child process serving from the keeper at socket
// and waits until it took the listeners.
func startChild(t *testing.T, socket string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+socket)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	line := make(chan string, 1)
	go func() {
		s, _ := bufio.NewReader(out).ReadString('\n')
		line <- s
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case s := <-line:
		if s != "serving\n" {
			t.Fatalf("child said %q, want serving", s)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("child did not start serving")
	}
	return cmd
}

// TestSIGKILLLosesNoConnection: clients connecting on new connections
// while the serving process is SIGKILLed and started again, as kubelet
// restarts a crashed activator, all get an answer: none is refused, and
// connections made while no process runs are served by the next one.
//
// The kill comes between requests (the load pauses for it): a request
// whose connection the killed process had accepted dies with it whatever
// holds the socket, so every failure here is one the keeper is there to
// prevent.
func TestSIGKILLLosesNoConnection(t *testing.T) {
	k := startKeeper(t, 5*time.Second, nil)
	addr := k.Addrs()[0]
	first := startChild(t, k.socket)

	const workers = 8
	var (
		pause    sync.RWMutex // read-held by each request; write-held for the kill
		down     atomic.Bool  // no serving process runs
		stopped  atomic.Bool
		queued   atomic.Int32 // connections made while down
		served   atomic.Int32
		failed   atomic.Int32
		mu       sync.Mutex
		failures []string // the first ten
		wg       sync.WaitGroup
	)
	fail := func(what string, err error) {
		failed.Add(1)
		mu.Lock()
		defer mu.Unlock()
		if errors.Is(err, syscall.ECONNREFUSED) {
			what = "REFUSED " + what
		}
		if len(failures) < 10 {
			failures = append(failures, fmt.Sprintf("%s: %v", what, err))
		}
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stopped.Load() {
				pause.RLock()
				conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
				if err != nil {
					fail("connect", err)
					pause.RUnlock()
					continue
				}
				if down.Load() {
					queued.Add(1)
				}
				body, err := get(conn)
				_ = conn.Close()
				switch {
				case err != nil:
					fail("request", err)
				case body != "ok":
					fail("request", fmt.Errorf("body %q", body))
				default:
					served.Add(1)
				}
				pause.RUnlock()
			}
		}()
	}
	defer func() { stopped.Store(true); wg.Wait() }()

	testutil.Eventually(t, 30*time.Second, "100 requests served by the first process", func() bool { return served.Load() >= 100 })
	pause.Lock()
	if err := first.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	down.Store(true)
	pause.Unlock()
	testutil.Eventually(t, 30*time.Second, "every worker connected while no process runs", func(context.Context) error {
		if queued.Load() >= workers {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		return fmt.Errorf("%d connected, %d failed, first: %v", queued.Load(), failed.Load(), failures)
	})
	before := served.Load()
	down.Store(false)
	startChild(t, k.socket)
	testutil.Eventually(t, 30*time.Second, "100 more requests served by the second process", func() bool { return served.Load() >= before+100 })
	stopped.Store(true)
	wg.Wait()

	t.Logf("%d requests served, %d connections queued while no process ran, %d failures", served.Load(), queued.Load(), failed.Load())
	if n := failed.Load(); n > 0 {
		t.Errorf("%d requests failed across the SIGKILL; first: %v", n, failures)
	}
}
