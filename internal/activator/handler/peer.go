package handler

import "strings"

// FromPeer reports whether remoteAddr (ip:port, as http.Request.RemoteAddr)
// is the address of one of the activators peers lists (Options.Peers; nil
// lists none). Only a request from a peer may carry proxy.ForwardedHeader:
// a client cannot mark its request as forwarded to skip the forward to the
// capacity's owner. The proxy trusts a peer's X-Forwarded-* headers too.
func FromPeer(peers func() []string, remoteAddr string) bool {
	if peers == nil {
		return false
	}
	ip := hostOfAddr(remoteAddr)
	if ip == "" {
		return false
	}
	for _, p := range peers() {
		if p != "" && hostOfAddr(p) == ip {
			return true
		}
	}
	return false
}

// hostOfAddr returns the host part of host:port ("[v6]" keeps its
// brackets, as both RemoteAddr and net.JoinHostPort write it).
func hostOfAddr(a string) string {
	if i := strings.LastIndexByte(a, ':'); i > 0 {
		return a[:i]
	}
	return ""
}
