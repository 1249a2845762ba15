package throttler

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
)

// probeTarget is what one probe loop checks.
type probeTarget struct {
	// addr is the ip:port to connect to.
	addr string
	// url is the readiness URL for an HTTP probe, "" for a TCP probe.
	url string
}

// targetFor returns the probe target for pod address addr under rc.
func targetFor(addr string, rc RevisionConfig) probeTarget {
	if rc.ProbePort > 0 {
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = net.JoinHostPort(host, strconv.Itoa(rc.ProbePort))
		}
	}
	pt := probeTarget{addr: addr}
	if rc.ProbePath != "" {
		path := rc.ProbePath
		if path[0] != '/' {
			path = "/" + path
		}
		pt.url = "http://" + addr + path
	}
	return pt
}

// startProbe starts probing p until it passes, is stopped, or the
// Throttler closes. The caller holds r.mu.
func (r *revision) startProbe(p *pod) {
	ctx, cancel := context.WithCancel(r.t.ctx)
	p.stopProbe = cancel
	p.probeGen++
	gen := p.probeGen
	target := targetFor(p.addr, r.cfg)
	r.t.probes.Add(1)
	go func() {
		defer r.t.probes.Done()
		defer cancel()
		if r.t.probeUntilReady(ctx, target) {
			r.markProbed(p, gen)
		}
	}()
}

// stopProbe stops p's probe loop, if any. The caller holds r.mu.
func (r *revision) stopProbe(p *pod) {
	if p.stopProbe != nil {
		p.stopProbe()
		p.stopProbe = nil
	}
}

// probeUntilReady probes target at once and then every ProbePeriod. It
// returns true when a probe passes and false when ctx is done.
func (t *Throttler) probeUntilReady(ctx context.Context, target probeTarget) bool {
	for {
		err := t.probe(ctx, target)
		if err == nil {
			return ctx.Err() == nil
		}
		t.cfg.Logger.V(2).Info("probe failed", "address", target.addr, "error", err.Error())
		timer := t.cfg.Clock.NewTimer(t.cfg.ProbePeriod)
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C():
		}
	}
}

// probe checks target once: a TCP connect, or an HTTP GET answered with a
// 2xx or 3xx status.
func (t *Throttler) probe(ctx context.Context, target probeTarget) error {
	ctx, cancel := context.WithTimeout(ctx, t.cfg.ProbeTimeout)
	defer cancel()
	if target.url == "" {
		conn, err := t.cfg.Dial(ctx, "tcp", target.addr)
		if err != nil {
			return err
		}
		return conn.Close()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target.url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("User-Agent", "wake-activator-probe")
	resp, err := t.probeClient.Do(req)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
	_ = resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("probe %s: status %d", target.url, resp.StatusCode)
	}
	return nil
}

// newProbeClient returns the HTTP client for readiness probes: dials with
// dial, never reuses connections, and does not follow redirects (a 3xx
// counts as ready, as in kubelet).
func newProbeClient(dial DialFunc) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			DialContext:       dial,
			DisableKeepAlives: true,
			Proxy:             nil,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}
