package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/wakefn/wake/internal/activator/meter"
	"github.com/wakefn/wake/internal/activator/throttler"
	"github.com/wakefn/wake/internal/metering"
)

// memResult is the memory lane: RSS of an activator process holding
// queued requests.
type memResult struct {
	Revisions     int     `json:"revisions"`
	Queued        int     `json:"queued_requests"`
	Protocol      string  `json:"client_protocol"`
	BaselineHWMMB float64 `json:"baseline_vmhwm_mb"` // table loaded, no requests
	HeldHWMMB     float64 `json:"held_vmhwm_mb"`     // with every request queued
	HeldRSSMB     float64 `json:"held_vmrss_mb"`
}

// memChild runs in a child process: an activator whose revisions have no
// pods, so every request waits in a queue. It prints its address and
// serves /queued on a second port.
func memChild(revisions int) {
	ctx := context.Background()
	a, err := newActivator(ctx, revisions, statsSink(), meter.New(meter.Options{Mode: metering.ModeRequest}))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	addr, _ := startActivator("activator", a)
	ctl, _ := serve("control", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		total := 0
		a.Throttler.RangeStats(func(_ throttler.RevisionKey, s throttler.RevisionStats) { total += s.Queued })
		_, _ = fmt.Fprint(w, total)
	}), nil)
	fmt.Printf("%s %s\n", addr, ctl)
	select {}
}

// vm reads a field of /proc/<pid>/status in MB.
func vm(pid int, field string) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	return 0
}

// measureMemory starts the child, holds queued requests on it over one
// HTTP/1.1 connection each, and reads its VmHWM.
func measureMemory(revisions, queued int) (memResult, error) {
	res := memResult{Revisions: revisions, Queued: queued, Protocol: "HTTP/1.1, one connection per request"}
	self, err := os.Executable()
	if err != nil {
		return res, fmt.Errorf("find own executable: %w", err)
	}
	cmd := exec.Command(self, "-mem-child", "-revisions", strconv.Itoa(revisions))
	cmd.Stderr = os.Stderr
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		return res, fmt.Errorf("start memory child: %w", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		return res, fmt.Errorf("read child address: %w", err)
	}
	addr, ctl, _ := strings.Cut(strings.TrimSpace(line), " ")
	res.BaselineHWMMB = vm(cmd.Process.Pid, "VmHWM")

	var wg sync.WaitGroup
	conns := make([]net.Conn, 0, queued)
	var mu sync.Mutex
	sem := make(chan struct{}, 256) // bound concurrent dials
	for i := range queued {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			c, err := net.DialTimeout("tcp", addr, 10*time.Second)
			if err != nil {
				return
			}
			host := fmt.Sprintf("fn-%04d.ns-%d.example.com", i%revisions, i%revisions%10)
			if _, err := fmt.Fprintf(c, "GET / HTTP/1.1\r\nHost: %s\r\nUser-Agent: bench\r\n\r\n", host); err != nil {
				_ = c.Close() // not queued: count it like a failed dial
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}()
	}
	wg.Wait()
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	held := 0
	for time.Now().Before(deadline) {
		held = queuedOn(ctl)
		if held >= len(conns) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	res.Queued = held
	res.HeldHWMMB = vm(cmd.Process.Pid, "VmHWM")
	res.HeldRSSMB = vm(cmd.Process.Pid, "VmRSS")
	return res, nil
}

func queuedOn(ctl string) int {
	r, err := http.Get("http://" + ctl)
	if err != nil {
		return 0
	}
	defer func() { _ = r.Body.Close() }()
	b, _ := io.ReadAll(r.Body)
	n, _ := strconv.Atoi(string(b))
	return n
}
