package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/wakefn/wake/internal/poll"
)

// floodPlan is the endless-headers attack.
type floodPlan struct {
	host     string
	path     string
	parallel int
	timeout  time.Duration
}

// floodCounts is what the endless-headers attack achieved.
type floodCounts struct {
	Requests counter `json:"requests"`
	// Outcomes counts HTTP statuses and error kinds.
	Outcomes tally `json:"outcomes"`
}

// floodHeaders keeps plan.parallel requests in flight, each on a new
// connection, to the function whose pod answers with endless headers,
// until ctx ends. After a failed request a worker pauses 100 ms.
func floodHeaders(ctx context.Context, activator string, plan floodPlan, c *floodCounts) {
	client := &http.Client{
		Timeout: plan.timeout,
		Transport: &http.Transport{
			DisableKeepAlives: true,
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				d := net.Dialer{Timeout: 2 * time.Second}
				return d.DialContext(ctx, network, activator)
			},
			MaxResponseHeaderBytes: 64 << 10,
		},
	}
	var wg sync.WaitGroup
	for range plan.parallel {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for ctx.Err() == nil {
				if !floodOnce(ctx, client, plan, c) {
					poll.Sleep(ctx, 100*time.Millisecond)
				}
			}
		}()
	}
	wg.Wait()
}

// floodOnce sends one request and reports whether it got an HTTP answer.
func floodOnce(ctx context.Context, client *http.Client, plan floodPlan, c *floodCounts) bool {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+plan.host+plan.path, nil)
	if err != nil {
		c.Outcomes.add("bad-request")
		return false
	}
	c.Requests.Add(1)
	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			c.Outcomes.add(errKind(err))
		} else {
			c.Outcomes.add("cancelled-at-end")
		}
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	_ = resp.Body.Close()
	c.Outcomes.add(strconv.Itoa(resp.StatusCode))
	return true
}
