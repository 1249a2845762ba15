package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wakefn/wake/internal/poll"
)

// uploadPlan is the abandoned-uploads attack.
type uploadPlan struct {
	host string
	path string
	// waves waves of perWave uploads each are started, every every.
	waves   int
	perWave int
	every   time.Duration
	// declared is each upload's Content-Length.
	declared int64
	// occupiers requests are kept in flight so the function stays busy.
	occupiers int
	// linger is how long an upload stays open before it is abandoned.
	linger time.Duration
}

// uploadCount is what the abandoned-uploads attack achieved.
type uploadCount struct {
	Waves counter `json:"waves"`
	// AfterHeaders and MidBody count uploads abandoned right after their
	// headers and after part of their body.
	AfterHeaders counter `json:"abandonedAfterHeaders"`
	MidBody      counter `json:"abandonedMidBody"`
	// Answered counts uploads that got response bytes before they were
	// abandoned (a 503 from a full queue, for example).
	Answered  counter `json:"answeredBeforeAbandon"`
	DialFails tally   `json:"dialFails"`
	// Occupiers counts the outcomes of the requests that kept the
	// function busy.
	Occupiers tally `json:"occupiers"`
}

// partialBody is what a mid-body upload sends before it gives up.
var partialBody = bytes.Repeat([]byte("u"), 64<<10)

// abandonUploads keeps the function busy and, plan.waves times every
// plan.every until ctx ends, starts plan.perWave uploads that are abandoned
// after plan.linger; the uploads of a wave start spread over ramp.
func abandonUploads(ctx context.Context, activator string, plan uploadPlan, ramp time.Duration, c *uploadCount) {
	var wg sync.WaitGroup
	for range plan.occupiers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			occupy(ctx, activator, plan, c)
		}()
	}
	head := []byte("POST " + plan.path + " HTTP/1.1\r\nHost: " + plan.host +
		"\r\nUser-Agent: wake-attacker\r\nContent-Type: application/octet-stream\r\nContent-Length: " +
		strconv.FormatInt(plan.declared, 10) + "\r\n\r\n")
	tick := time.NewTicker(plan.every)
	defer tick.Stop()
	for w := 0; w < plan.waves && ctx.Err() == nil; w++ {
		c.Waves.Add(1)
		for i := range plan.perWave {
			wg.Add(1)
			go func() {
				defer wg.Done()
				poll.Sleep(ctx, rampDelay(i, plan.perWave, ramp))
				upload(ctx, activator, head, i%2 == 1, plan.linger, c)
			}()
		}
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
	wg.Wait()
}

// upload sends one upload's headers, and part of its body when midBody,
// waits linger and closes the connection.
func upload(ctx context.Context, activator string, head []byte, midBody bool, linger time.Duration, c *uploadCount) {
	d := net.Dialer{Timeout: 2 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", activator)
	if err != nil {
		if ctx.Err() == nil {
			c.DialFails.add(errKind(err))
		}
		return
	}
	defer func() { _ = conn.Close() }()
	_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write(head); err != nil {
		c.DialFails.add("write-" + errKind(err))
		return
	}
	if midBody {
		if _, err := conn.Write(partialBody); err != nil {
			c.DialFails.add("write-" + errKind(err))
			return
		}
	}
	poll.Sleep(ctx, linger)
	if peek(conn) == "answered" {
		c.Answered.Add(1)
	}
	if midBody {
		c.MidBody.Add(1)
	} else {
		c.AfterHeaders.Add(1)
	}
}

// occupy sends requests to the busy function one after another until ctx
// ends, so that the uploads have to queue.
func occupy(ctx context.Context, activator string, plan uploadPlan, c *uploadCount) {
	client := &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			d := net.Dialer{Timeout: 2 * time.Second}
			return d.DialContext(ctx, network, activator)
		},
	}}
	for ctx.Err() == nil {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+plan.host+plan.path, nil)
		if err != nil {
			c.Occupiers.add("bad-request")
			return
		}
		resp, err := client.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				c.Occupiers.add("cancelled-at-end")
				return
			}
			c.Occupiers.add(errKind(err))
			poll.Sleep(ctx, 100*time.Millisecond)
			continue
		}
		_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		_ = resp.Body.Close()
		c.Occupiers.add(strconv.Itoa(resp.StatusCode))
		if resp.StatusCode != http.StatusOK {
			poll.Sleep(ctx, 100*time.Millisecond)
		}
	}
}
