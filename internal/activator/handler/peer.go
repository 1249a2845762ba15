package handler

import "strings"

// FromPeer reports whether remoteAddr (ip:port, as http.Request.RemoteAddr)
// is the address of one of the activators in Options.Peers. Only a request
// from a peer may carry proxy.ForwardedHeader: a client cannot mark its
// request as forwarded to skip the forward to the capacity's owner.
func (h *Handler) FromPeer(remoteAddr string) bool {
	if h.cfg.Peers == nil {
		return false
	}
	ip := hostOfAddr(remoteAddr)
	if ip == "" {
		return false
	}
	for _, p := range h.cfg.Peers() {
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
