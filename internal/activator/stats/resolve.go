package stats

import (
	"context"
	"fmt"
	"net"
	"slices"
	"time"
)

// DefaultResolvePeriod is how often the Reporter resolves the stat
// servers again.
const DefaultResolvePeriod = 5 * time.Second

// Resolver returns the stat servers to report to, as ip:port addresses.
// The Reporter keeps one connection to each.
type Resolver func(ctx context.Context) ([]string, error)

// LookupHostFunc looks up a host's IP addresses, with the signature of
// (*net.Resolver).LookupHost.
type LookupHostFunc func(ctx context.Context, host string) ([]string, error)

// DNSResolver returns a Resolver for address ("host:port"). The host is
// looked up with lookup (nil means net.DefaultResolver.LookupHost), so the
// name of a headless Service yields every ready pod behind it, and an IP
// yields itself; every IP is paired with the port. Addresses come sorted
// and without duplicates.
func DNSResolver(address string, lookup LookupHostFunc) Resolver {
	if lookup == nil {
		lookup = net.DefaultResolver.LookupHost
	}
	host, port, err := net.SplitHostPort(address)
	if err == nil && host == "" {
		err = fmt.Errorf("address %q has no host", address)
	}
	return func(ctx context.Context) ([]string, error) {
		if err != nil {
			return nil, fmt.Errorf("stat server address: %w", err)
		}
		ips, lerr := lookup(ctx, host)
		if lerr != nil {
			return nil, fmt.Errorf("resolve stat server %s: %w", host, lerr)
		}
		addrs := make([]string, 0, len(ips))
		for _, ip := range ips {
			addrs = append(addrs, net.JoinHostPort(ip, port))
		}
		slices.Sort(addrs)
		return slices.Compact(addrs), nil
	}
}

// resolveLoop resolves the stat servers at once and then every
// ResolvePeriod until ctx ends, and keeps one sender per address.
func (r *Reporter) resolveLoop(ctx context.Context, tick <-chan time.Time) {
	for {
		r.resolve(ctx)
		select {
		case <-ctx.Done():
			return
		case <-tick:
		}
	}
}

// resolve updates the senders from one resolution. A failed or empty
// resolution keeps the current senders: DNS trouble alone never cuts the
// autoscaler off.
func (r *Reporter) resolve(ctx context.Context) {
	rctx, cancel := context.WithTimeout(ctx, r.cfg.ResolvePeriod)
	addrs, err := r.cfg.Resolver(rctx)
	cancel()
	if ctx.Err() != nil {
		return
	}
	if err != nil || len(addrs) == 0 {
		if err == nil {
			err = fmt.Errorf("no address for %s", r.cfg.Address)
		}
		r.log.Info("cannot resolve the stat servers, keeping the current ones", "address", r.cfg.Address, "error", err.Error())
		return
	}
	r.setTargets(ctx, addrs)
}
