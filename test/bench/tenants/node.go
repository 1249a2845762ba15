package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
)

// runNode runs in a child process: one activator node as newSetup builds
// it, plus a control port for the parent. It prints "<activator address>
// <control address>" and serves until its stdin closes.
func runNode(p params) {
	s, err := newSetup(context.Background(), p.AWork, -1, p.BBoot)
	if err != nil {
		fmt.Fprintln(os.Stderr, "node:", err)
		os.Exit(1)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /zero", func(w http.ResponseWriter, r *http.Request) { s.bCold.scaleToZero() })
	mux.HandleFunc("GET /poked", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprint(w, s.bCold.pokedAt().UnixNano())
	})
	mux.HandleFunc("GET /held", func(w http.ResponseWriter, r *http.Request) {
		_, _ = fmt.Fprint(w, s.held(r.URL.Query().Get("ns")))
	})
	mux.HandleFunc("GET /gc", func(w http.ResponseWriter, r *http.Request) {
		g := readGC()
		_, _ = fmt.Fprintf(w, "%d %g", g.cycles, g.cpu)
	})
	ctl, _ := serve(mux)
	fmt.Printf("%s %s\n", s.addr, ctl)
	_, _ = io.Copy(io.Discard, os.Stdin)
	s.close()
	os.Exit(0)
}

// node is a running activator node, seen from the parent.
type node struct {
	*child
	name string
	addr string // the activator's data port
	ctl  string
	c    *http.Client
}

// startNode starts an activator node in a child process.
func startNode(name string, p params) (*node, error) {
	c, line, err := startChild("node "+name, "-node", "-a-work", p.AWork.String(), "-b-boot", p.BBoot.String())
	if err != nil {
		return nil, err
	}
	addr, ctl, _ := strings.Cut(line, " ")
	return &node{child: c, name: name, addr: addr, ctl: ctl, c: newClient(4)}, nil
}

// stop ends the node's process.
func (n *node) stop() {
	_ = n.stdin.Close()
	done := make(chan struct{})
	go func() { _ = n.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = n.cmd.Process.Kill()
		<-done
	}
}

// call sends a control request and returns the answer's body.
func (n *node) call(method, path string) string {
	req, _ := http.NewRequest(method, "http://"+n.ctl+path, nil)
	res, err := n.c.Do(req)
	if err != nil {
		return ""
	}
	defer func() { _ = res.Body.Close() }()
	b, _ := io.ReadAll(res.Body)
	return string(b)
}

// zero scales B's cold function to zero.
func (n *node) zero() { n.call("POST", "/zero") }

// pokedAt is when the node's autoscaler last scaled B's cold function up.
func (n *node) pokedAt() time.Time {
	ns, _ := strconv.ParseInt(n.call("GET", "/poked"), 10, 64)
	return time.Unix(0, ns)
}

// held returns the requests namespace ns holds waiting on the node.
func (n *node) held(ns string) int {
	v, _ := strconv.Atoi(n.call("GET", "/held?ns="+ns))
	return v
}

// gc returns the node's garbage collector work so far.
func (n *node) gc() gcStats {
	var g gcStats
	_, _ = fmt.Sscanf(n.call("GET", "/gc"), "%d %g", &g.cycles, &g.cpu)
	return g
}

// cpu returns the node's process CPU time so far in seconds.
func (n *node) cpu() float64 { return cpuSeconds(n.cmd.Process.Pid) }

// settle waits until ns's held requests on n stop changing for 300 ms (A's
// flood has filled what the activator lets it hold), at most 10 s.
func (n *node) settle(ns string) {
	last, since := -1, time.Now()
	for end := time.Now().Add(10 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if h := n.held(ns); h != last {
			last, since = h, time.Now()
		} else if time.Since(since) > 300*time.Millisecond {
			return
		}
	}
}

// drained waits until ns holds no request on n (its clients left).
func (n *node) drained(ns string) error {
	for end := time.Now().Add(20 * time.Second); time.Now().Before(end); time.Sleep(20 * time.Millisecond) {
		if n.held(ns) == 0 {
			return nil
		}
	}
	return fmt.Errorf("%s still holds %d requests on node %s after its clients left", ns, n.held(ns), n.name)
}
