package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"
)

// poll calls check every interval until it returns true or timeout passes;
// the last error check returned is part of the timeout error.
func poll(ctx context.Context, what string, timeout time.Duration, check func(context.Context) (bool, error)) error {
	start := time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	const interval = 250 * time.Millisecond
	var lastErr error
	for {
		ok, err := check(ctx)
		if ok {
			slog.Info("ready", "what", what, "after", time.Since(start).Round(10*time.Millisecond))
			return nil
		}
		lastErr = err
		select {
		case <-ctx.Done():
			if lastErr != nil {
				return fmt.Errorf("wait for %s: timed out after %s: %w", what, timeout, lastErr)
			}
			return fmt.Errorf("wait for %s: timed out after %s", what, timeout)
		case <-time.After(interval):
		}
	}
}

// httpOK checks that GET url answers 200; TLS is not verified (it is used
// for health endpoints of components with self-signed certificates).
func httpOK(url string) func(context.Context) (bool, error) {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // local health probe only
	}
	return func(ctx context.Context) (bool, error) {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return false, err
		}
		resp, err := client.Do(req)
		if err != nil {
			return false, err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
		}
		return true, nil
	}
}

// apiOK checks that GET path on the API server answers 2xx.
func apiOK(c *APIClient, path string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		if err := c.Do(ctx, http.MethodGet, path, nil, nil); err != nil {
			return false, err
		}
		return true, nil
	}
}

// nodeReady checks the node's Ready condition.
func nodeReady(c *APIClient, name string) func(context.Context) (bool, error) {
	return func(ctx context.Context) (bool, error) {
		var node struct {
			Status struct {
				Conditions []struct {
					Type, Status, Reason, Message string
				}
			}
		}
		if err := c.Do(ctx, http.MethodGet, "/api/v1/nodes/"+name, nil, &node); err != nil {
			return false, err
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == "Ready" {
				if cond.Status == "True" {
					return true, nil
				}
				return false, fmt.Errorf("node %s not ready: %s: %s", name, cond.Reason, cond.Message)
			}
		}
		return false, fmt.Errorf("node %s has no Ready condition yet", name)
	}
}

// dnsAnswers checks that CoreDNS resolves the kubernetes Service to its
// ClusterIP.
func dnsAnswers(cfg *Config) func(context.Context) (bool, error) {
	resolver := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort(cfg.DNSAddress(), "53"))
		},
	}
	name := "kubernetes.default.svc." + cfg.ClusterDomain
	return func(ctx context.Context) (bool, error) {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		addrs, err := resolver.LookupHost(ctx, name)
		if err != nil {
			return false, fmt.Errorf("resolve %s: %w", name, err)
		}
		for _, a := range addrs {
			if a == cfg.KubernetesServiceIP.String() {
				return true, nil
			}
		}
		return false, fmt.Errorf("resolve %s: got %v, want %s", name, addrs, cfg.KubernetesServiceIP)
	}
}
