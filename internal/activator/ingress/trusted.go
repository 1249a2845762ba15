package ingress

import (
	"net/netip"
	"sync/atomic"
)

// TrustedProxies is the set of networks whose clients are proxies in front
// of the activator (wake-config "trusted-proxies"): their X-Forwarded-For
// is appended to and their X-Forwarded-Proto and -Host kept. It is safe for
// concurrent use; Set may be called at any time.
type TrustedProxies struct {
	p atomic.Pointer[[]netip.Prefix]
}

// Set replaces the networks.
func (t *TrustedProxies) Set(p []netip.Prefix) {
	t.p.Store(&p)
}

// Contains reports whether remoteAddr (ip:port, as http.Request.RemoteAddr)
// is in one of the networks.
func (t *TrustedProxies) Contains(remoteAddr string) bool {
	p := t.p.Load()
	if p == nil || len(*p) == 0 {
		return false
	}
	ap, err := netip.ParseAddrPort(remoteAddr)
	if err != nil {
		return false
	}
	ip := ap.Addr().Unmap()
	for _, n := range *p {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}
