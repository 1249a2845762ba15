// Package ingress holds the activator's strict parsing of client requests,
// the checks net/http's server does not make or hides from handlers.
//
// Two layers:
//
//   - Listen wraps the data-plane listener. Its connections inspect every
//     HTTP/1.x request head before net/http parses it, following the message
//     framing (Content-Length bodies, chunked bodies with trailers) to find
//     the next head on a keep-alive connection. A head with conflicting or
//     unsupported framing (Content-Length together with Transfer-Encoding,
//     differing Content-Lengths, a Transfer-Encoding other than exactly
//     "chunked"), obsolete line folding, more than one Host, or an
//     absolute-form (or CONNECT authority-form) target whose authority
//     differs from Host is replaced by a head net/http refuses, so that
//     net/http itself answers 400 and closes the connection; the offending
//     bytes never reach it. A malformed chunked body ends the connection at
//     that point. The guard steps aside for the rest of a connection that
//     starts with the HTTP/2 preface, and after a head carrying an Upgrade
//     header: the handler answers every such request that it does not
//     upgrade with "Connection: close" (CloseIfUpgrade), so no later request
//     on that connection is read.
//
//   - CheckRequest runs in the handler for every protocol (HTTP/1.x and h2c):
//     the host must be printable ASCII host syntax, encoded slashes ("%2F",
//     "%5C") and backslashes are refused, and dot-segments ("/a/../b",
//     "%2e%2e") are removed (RFC 3986 remove_dot_segments) before the
//     routing rules are matched, with URL.Path and URL.RawPath rewritten
//     together so that the pod sees the path that was matched.
//
// TrustedProxies holds the wake-config "trusted-proxies" CIDRs.
package ingress
