package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/wakefn/wake/internal/poll"
)

// waitFor polls check every 250 ms until it returns nil or timeout passes;
// the last error check returned is part of the timeout error.
func waitFor(ctx context.Context, what string, timeout time.Duration, check func(context.Context) error) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	took, err := poll.Until(ctx, 250*time.Millisecond, check)
	if err != nil {
		return fmt.Errorf("wait for %s: timed out after %s: %w", what, timeout, err)
	}
	slog.Info("ready", "what", what, "after", took.Round(10*time.Millisecond))
	return nil
}

// httpOK checks that GET url answers 200; TLS is not verified (it is used
// for health endpoints of components with self-signed certificates).
func httpOK(url string) func(context.Context) error {
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}, //nolint:gosec // local health probe only
	}
	return func(ctx context.Context) error {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			return err
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: HTTP %d", url, resp.StatusCode)
		}
		return nil
	}
}

// apiOK checks that GET path on the API server answers 2xx.
func apiOK(c *APIClient, path string) func(context.Context) error {
	return func(ctx context.Context) error {
		return c.Do(ctx, http.MethodGet, path, nil, nil)
	}
}

// nodeReady checks the node's Ready condition.
func nodeReady(c *APIClient, name string) func(context.Context) error {
	return func(ctx context.Context) error {
		var node struct {
			Status struct {
				Conditions []struct {
					Type, Status, Reason, Message string
				}
			}
		}
		if err := c.Do(ctx, http.MethodGet, "/api/v1/nodes/"+name, nil, &node); err != nil {
			return err
		}
		for _, cond := range node.Status.Conditions {
			if cond.Type == "Ready" {
				if cond.Status == "True" {
					return nil
				}
				return fmt.Errorf("node %s not ready: %s: %s", name, cond.Reason, cond.Message)
			}
		}
		return fmt.Errorf("node %s has no Ready condition yet", name)
	}
}

// dnsAnswers checks that CoreDNS resolves the kubernetes Service to its
// ClusterIP.
func dnsAnswers(cfg *Config) func(context.Context) error {
	resolver := &net.Resolver{
		PreferGo: true,
		Dial: func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, net.JoinHostPort(cfg.DNSAddress(), "53"))
		},
	}
	name := "kubernetes.default.svc." + cfg.ClusterDomain
	return func(ctx context.Context) error {
		ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		addrs, err := resolver.LookupHost(ctx, name)
		if err != nil {
			return fmt.Errorf("resolve %s: %w", name, err)
		}
		for _, a := range addrs {
			if a == cfg.KubernetesServiceIP.String() {
				return nil
			}
		}
		return fmt.Errorf("resolve %s: got %v, want %s", name, addrs, cfg.KubernetesServiceIP)
	}
}
