package main

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// floodCounts is what tenant A's load generator saw.
type floodCounts struct {
	ColdSent     int64   `json:"cold_sent"`
	ColdRefused  int64   `json:"cold_refused"`  // 429 or 503 at once
	ColdAnswered int64   `json:"cold_answered"` // 200 (only if its pod booted)
	BusyOK       int64   `json:"busy_ok"`       // served by the cc=1 pod
	BusyRefused  int64   `json:"busy_refused"`  // 429 or 503
	OtherErrors  int64   `json:"other_errors"`  // transport errors, other codes
	CPUSeconds   float64 `json:"cpu_seconds"`   // the generator's own, whole life
}

// floodChild runs in a child process as tenant A: busy clients loop on
// A's containerConcurrency 1 function (honouring Retry-After when refused),
// and once they are started cold clients send coldRequests requests, each
// once, to A's cold function, one connection per client. Requests the
// activator holds keep their client waiting; refused ones free it for the
// next. It prints "sent" once every cold request is taken by a client,
// and when its stdin closes it prints its counts as JSON and exits, which
// closes every connection (the activator drops the held requests).
func floodChild(addr string, coldRequests, coldConns, busyConns int) {
	var n floodCounts
	cold := newClient(coldConns)
	busy := newClient(busyConns)
	for range busyConns {
		go func() {
			for {
				_, code := get(busy, addr, host(keyABusy))
				switch code {
				case http.StatusOK:
					atomic.AddInt64(&n.BusyOK, 1)
				case http.StatusTooManyRequests, http.StatusServiceUnavailable:
					atomic.AddInt64(&n.BusyRefused, 1)
					time.Sleep(time.Second) // Retry-After
				default:
					atomic.AddInt64(&n.OtherErrors, 1)
					time.Sleep(time.Second)
				}
			}
		}()
	}
	jobs := make(chan struct{}, coldRequests)
	for range coldRequests {
		jobs <- struct{}{}
	}
	close(jobs)
	var taken sync.WaitGroup
	taken.Add(coldRequests)
	for range coldConns {
		go func() {
			for range jobs {
				taken.Done()
				atomic.AddInt64(&n.ColdSent, 1)
				_, code := get(cold, addr, host(keyACold))
				switch code {
				case http.StatusOK:
					atomic.AddInt64(&n.ColdAnswered, 1)
				case http.StatusTooManyRequests, http.StatusServiceUnavailable:
					atomic.AddInt64(&n.ColdRefused, 1)
				default:
					atomic.AddInt64(&n.OtherErrors, 1)
				}
			}
		}()
	}
	slow := time.AfterFunc(5*time.Second, func() {
		fmt.Fprintf(os.Stderr, "flood: slow to send: sent %d, refused %d, other %d\n",
			atomic.LoadInt64(&n.ColdSent), atomic.LoadInt64(&n.ColdRefused), atomic.LoadInt64(&n.OtherErrors))
	})
	taken.Wait()
	slow.Stop()
	fmt.Println("sent")
	_, _ = io.Copy(io.Discard, os.Stdin)
	out := floodCounts{CPUSeconds: cpuSeconds(os.Getpid())}
	for dst, src := range map[*int64]*int64{
		&out.ColdSent: &n.ColdSent, &out.ColdRefused: &n.ColdRefused, &out.ColdAnswered: &n.ColdAnswered,
		&out.BusyOK: &n.BusyOK, &out.BusyRefused: &n.BusyRefused, &out.OtherErrors: &n.OtherErrors,
	} {
		*dst = atomic.LoadInt64(src)
	}
	b, _ := json.Marshal(out)
	fmt.Println(string(b))
	os.Exit(0) // closes every connection at once
}

// flood is a running tenant A load generator.
type flood struct{ *child }

// startFlood starts tenant A's load generator in a child process (its
// goroutines and heap are not the activator's; it still shares the CPUs)
// and returns once every cold request is taken by a client.
func startFlood(addr string, coldRequests, coldConns, busyConns int) (*flood, error) {
	c, line, err := startChild("flood", "-flood-child", "-addr", addr,
		"-cold-requests", strconv.Itoa(coldRequests), "-cold-conns", strconv.Itoa(coldConns), "-busy-conns", strconv.Itoa(busyConns))
	if err != nil {
		return nil, err
	}
	if line != "sent" {
		c.kill()
		return nil, fmt.Errorf("flood did not start: %q", line)
	}
	return &flood{c}, nil
}

// cpu returns the generator's CPU time so far in seconds.
func (f *flood) cpu() float64 { return cpuSeconds(f.cmd.Process.Pid) }

// stop ends the generator (closing its connections) and returns its counts.
func (f *flood) stop() (floodCounts, error) {
	var n floodCounts
	_ = f.stdin.Close()
	line, err := f.out.ReadString('\n')
	_ = f.cmd.Wait()
	if err != nil {
		return n, fmt.Errorf("read flood counts: %w", err)
	}
	if err := json.Unmarshal([]byte(line), &n); err != nil {
		return n, fmt.Errorf("decode flood counts %q: %w", line, err)
	}
	return n, nil
}

// cpuSeconds reads a process's user plus system CPU time from /proc
// (0 where there is none).
func cpuSeconds(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields after the command name, which ends with the last ')'.
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseFloat(f[11], 64)
	st, _ := strconv.ParseFloat(f[12], 64)
	return (ut + st) / 100 // USER_HZ is 100 on Linux
}
