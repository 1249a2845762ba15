package main

import (
	"bufio"
	"context"
	"encoding/json"
	"maps"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// childArgs, set in a child's environment, makes the test binary run main
// with these arguments (separated by newlines) instead of the tests.
const childArgs = "WAKE_BROKER_TEST_ARGS"

func TestMain(m *testing.M) {
	if args, ok := os.LookupEnv(childArgs); ok {
		os.Args = append([]string{"broker"}, strings.Split(args, "\n")...)
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// logLine is what the test reads of the broker's JSON log lines.
type logLine struct {
	Msg       string `json:"msg"`
	Listen    string `json:"listen"`
	Advertise string `json:"advertise"`
}

// TestMainServesUntilSIGTERM runs the broker's main in a child process as
// its StatefulSet does: it logs where it listens and the address it
// advertises by default ($POD_NAME.$SERVICE at the port of --listen),
// creates --topics with --partitions, and on SIGTERM stops cleanly with
// exit status 0.
func TestMainServesUntilSIGTERM(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	dir := t.TempDir()
	listen := freePort(t)
	_, port, _ := net.SplitHostPort(listen)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(),
		childArgs+"="+strings.Join([]string{"-listen=" + listen, "-data-dir=" + dir, "-topics=a, b", "-partitions=2"}, "\n"),
		"POD_NAME=wake-broker-0", "SERVICE=wake-broker.wake-system.svc")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan logLine, 100)
	scanned := make(chan struct{})
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait() // closes stderr, which ends the scanner
		<-scanned
	})
	go func() {
		defer close(scanned)
		defer close(lines)
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			t.Logf("broker: %s", s.Text())
			var l logLine
			if json.Unmarshal(s.Bytes(), &l) == nil {
				select {
				case lines <- l:
				default: // nobody reads any more; keep draining
				}
			}
		}
	}()
	waitFor := func(msg string) logLine {
		t.Helper()
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("the broker exited before logging %q", msg)
				}
				if l.Msg == msg {
					return l
				}
			case <-ctx.Done():
				t.Fatalf("the broker did not log %q", msg)
			}
		}
	}
	serving := waitFor("serving Kafka")
	if serving.Listen != listen {
		t.Errorf("serving at %q, want %q", serving.Listen, listen)
	}
	if want := "wake-broker-0.wake-broker.wake-system.svc:" + port; serving.Advertise != want {
		t.Errorf("advertising %q, want %q", serving.Advertise, want)
	}

	// Ask the broker itself: a client would go on to the advertised name,
	// which does not resolve here.
	cl, err := kgo.NewClient(kgo.SeedBrokers(listen))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	resp, err := cl.SeedBrokers()[0].Request(ctx, kmsg.NewPtrMetadataRequest())
	if err != nil {
		t.Fatalf("metadata: %v", err)
	}
	partitions := make(map[string]int)
	for _, mt := range resp.(*kmsg.MetadataResponse).Topics {
		partitions[*mt.Topic] = len(mt.Partitions)
	}
	if want := map[string]int{"a": 2, "b": 2}; !maps.Equal(partitions, want) {
		t.Errorf("topics and their partitions = %v, want %v (-topics, -partitions)", partitions, want)
	}
	cl.Close()

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	waitFor("stopped")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("the broker exited with %v after SIGTERM, want status 0", err)
		}
	case <-ctx.Done():
		t.Fatal("the broker did not exit after SIGTERM")
	}
	if _, err := os.Stat(dir + "/meta.json"); err != nil {
		t.Errorf("no state in the data folder: %v", err)
	}
}

// freePort returns a loopback address with a port that was free a moment
// ago.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return addr
}
