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

// removeInternal deletes Wake's own headers in every spelling: any case,
// and "_" for "-" (net/http keeps "Wake_internal_x" as a key of its own).
// It also deletes "_" spellings of framing and hop-by-hop headers
// ("Transfer_Encoding"), which a server behind may take for the real ones.
func removeInternal(h http.Header) {
	for k := range h {
		if isInternal(k) || strings.IndexByte(k, '_') >= 0 && isFramingAlias(k) {
			delete(h, k)
		}
	}
}

// framingNames are header names that frame or route a message, lower case.
var framingNames = [...]string{
	"content-length", "transfer-encoding", "host", "connection", "proxy-connection",
	"keep-alive", "te", "trailer", "upgrade",
}

// isFramingAlias reports whether name is one of framingNames spelled with
// "_" for "-".
func isFramingAlias(name string) bool {
	for _, f := range framingNames {
		if foldSep(name, f) {
			return true
		}
	}
	return false
}

// isInternal reports whether name is InternalHeaderPrefix (or
// "Wake-Internal") or ColdStartHeader in any spelling.
func isInternal(name string) bool {
	if len(name) < 5 || name[0]|0x20 != 'w' || !isSep(name[4]) || !foldSep(name[1:4], "ake") {
		return false
	}
	rest := name[5:]
	switch {
	case len(rest) >= 8 && foldSep(rest[:8], "internal"):
		return len(rest) == 8 || isSep(rest[8])
	default:
		return foldSep(rest, "cold-start")
	}
}

func isSep(c byte) bool { return c == '-' || c == '_' }

// foldSep reports whether s equals lower (lower case ASCII) ignoring ASCII
// case and taking "_" for "-".
func foldSep(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := range len(s) {
		c := s[i]
		switch {
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		case c == '_':
			c = '-'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

// forwarding classifies a request header name that carries forwarding
// information: Forwarded, X-Forwarded-* and X-Real-Ip.
type forwarding uint8

const (
	fwdNone      forwarding = iota
	fwdCanonical            // spelled as net/http canonicalises "-" names
	fwdOther                // another spelling ("X_Forwarded_For"): always dropped
)

func forwardingName(k string) forwarding {
	if k == "" || k[0]|0x20 != 'x' && k[0]|0x20 != 'f' {
		return fwdNone
	}
	canonical := k == "Forwarded" || k == "X-Forwarded" || k == "X-Real-Ip" || strings.HasPrefix(k, "X-Forwarded-")
	if canonical {
		return fwdCanonical
	}
	if foldSep(k, "forwarded") || foldSep(k, "x-real-ip") ||
		len(k) >= 11 && foldSep(k[:11], "x-forwarded") && (len(k) == 11 || isSep(k[11])) {
		return fwdOther
	}
	return fwdNone
}

// setForwarded replaces the client's forwarding headers (Forwarded,
// X-Forwarded-*, X-Real-Ip, in any spelling) with X-Forwarded-For, -Host
// and -Proto. If trust says the client's address is a proxy's, its
// canonically spelled ones are kept: its X-Forwarded-For is appended to,
// its X-Forwarded-Host and -Proto kept when present. spare holds the
// backing arrays so that no extra allocation is needed.
func setForwarded(h http.Header, in *http.Request, trust func(remoteAddr string) bool, spare *[2]string) {
	trusted := false
	for k := range h {
		if forwardingName(k) != fwdNone {
			trusted = trust != nil && trust(in.RemoteAddr)
			dropForwarding(h, trusted)
			break
		}
	}
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
	} else {
		delete(h, "X-Forwarded-For")
	}
	if _, ok := h["X-Forwarded-Host"]; !ok || !trusted {
		spare[1] = in.Host
		h["X-Forwarded-Host"] = spare[1:2:2]
	}
	if _, ok := h["X-Forwarded-Proto"]; !ok || !trusted {
		if in.TLS != nil {
			h["X-Forwarded-Proto"] = protoHTTPS
		} else {
			h["X-Forwarded-Proto"] = protoHTTP
		}
	}
}

// dropForwarding deletes the forwarding headers a client may not set: all
// of them, or for a trusted proxy those not spelled canonically.
func dropForwarding(h http.Header, trusted bool) {
	for k := range h {
		switch forwardingName(k) {
		case fwdCanonical:
			if !trusted {
				delete(h, k)
			}
		case fwdOther:
			delete(h, k)
		}
	}
}

// moveResponseHeaders puts the pod's headers into dst, without the
// hop-by-hop and internal ones, nor those the activator owns. The value
// slices are moved, not copied; values the activator set in dst before
// (Server-Timing) come first.
func moveResponseHeaders(dst, src http.Header, owned []string) {
	removeHopHeaders(src)
	for _, k := range owned {
		delete(src, k)
	}
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
