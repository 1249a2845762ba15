package proxy

import (
	"maps"
	"net"
	"net/http"
	"net/textproto"
	"strings"
)

// InternalHeaderPrefix starts the names of headers that are Wake's own and
// never pass the activator in either direction.
const InternalHeaderPrefix = "Wake-Internal-"

// ForwardedHeader marks a request one activator forwarded to another (the
// one owning the capacity it had no share of). The receiving activator reads
// it before Prepare strips it, and does not forward the request again.
const ForwardedHeader = InternalHeaderPrefix + "Forwarded"

// ColdStartHeader is the response header the activator sets, in
// milliseconds, when a request was held for a cold start.
const ColdStartHeader = "Wake-Cold-Start"

// ServerTimingHeader is the standard response header (W3C Server Timing)
// in which the activator reports the phases of a cold start. The pod's own
// Server-Timing values are kept after the activator's.
const ServerTimingHeader = "Server-Timing"

// hopHeaders are removed in both directions (RFC 9110 7.6.1), canonical.
var hopHeaders = [...]string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
}

// Shared read-only values; never modified once in a header map.
var (
	protoHTTP   = []string{"http"}
	protoHTTPS  = []string{"https"}
	emptyValue  = []string{""}
	teTrailers  = []string{"trailers"}
	connUpgrade = []string{"Upgrade"}
)

func isHop(name string) bool {
	for _, h := range hopHeaders {
		if strings.EqualFold(h, name) {
			return true
		}
	}
	return false
}

// removeHopHeaders strips hop-by-hop and internal headers from h and
// returns the upgrade protocol asked for, if any.
func removeHopHeaders(h http.Header) (upgrade string) {
	for _, v := range h["Connection"] {
		for tok := range strings.SplitSeq(v, ",") {
			tok = textproto.TrimString(tok)
			if tok == "" {
				continue
			}
			if strings.EqualFold(tok, "upgrade") {
				if up := h["Upgrade"]; len(up) > 0 {
					upgrade = up[0]
				}
			}
			if !isHop(tok) {
				h.Del(tok)
			}
		}
	}
	keepTE := false
	if te := h["Te"]; len(te) > 0 {
		for _, v := range te {
			if strings.Contains(strings.ToLower(v), "trailers") {
				keepTE = true
			}
		}
	}
	for _, name := range hopHeaders {
		delete(h, name)
	}
	if keepTE {
		h["Te"] = teTrailers
	}
	removeInternal(h)
	return upgrade
}

// removeInternal deletes Wake's own headers.
func removeInternal(h http.Header) {
	for k := range h {
		if len(k) >= 5 && k[:5] == "Wake-" && (strings.HasPrefix(k, InternalHeaderPrefix) || k == ColdStartHeader) {
			delete(h, k)
		}
	}
}

// setForwarded adds the X-Forwarded-* headers; spare holds the backing
// arrays so that no extra allocation is needed.
func setForwarded(h http.Header, in *http.Request, trust bool, spare *[2]string) {
	ip, _, err := net.SplitHostPort(in.RemoteAddr)
	if err != nil {
		ip = in.RemoteAddr
	}
	if ip != "" {
		if prior := h["X-Forwarded-For"]; len(prior) > 0 {
			ip = strings.Join(prior, ", ") + ", " + ip
		}
		spare[0] = ip
		h["X-Forwarded-For"] = spare[0:1:1]
	}
	if _, ok := h["X-Forwarded-Host"]; !ok || !trust {
		spare[1] = in.Host
		h["X-Forwarded-Host"] = spare[1:2:2]
	}
	if _, ok := h["X-Forwarded-Proto"]; !ok || !trust {
		if in.TLS != nil {
			h["X-Forwarded-Proto"] = protoHTTPS
		} else {
			h["X-Forwarded-Proto"] = protoHTTP
		}
	}
}

// moveResponseHeaders puts the pod's headers into dst, without the
// hop-by-hop and internal ones. The value slices are moved, not copied;
// values the activator set in dst before (Server-Timing) come first.
func moveResponseHeaders(dst, src http.Header) {
	removeHopHeaders(src)
	if len(dst) == 0 { // the usual case: nothing to keep
		maps.Copy(dst, src)
		return
	}
	for k, vv := range src {
		if prior, ok := dst[k]; ok {
			vv = append(prior[:len(prior):len(prior)], vv...)
		}
		dst[k] = vv
	}
}
