// Package proxy forwards one request to one pod: the activator's only hop
// (client → activator → pod IP).
//
// It replaces httputil.ReverseProxy on the hot path and spends less per
// request: the inbound header map is edited in place instead of cloned, the
// outbound request and URL live in one allocation with the forwarded header
// values, response headers are moved by slice instead of copied value by
// value, and bodies are copied through pooled 32 KiB buffers.
//
// # Protocols
//
// The protocol to the pod is the revision's (the Protocol passed to
// Prepare), whatever the client speaks: an HTTP/1.1 client can call an h2c
// function and an h2c client (gRPC) an HTTP/1.1 one.
//
//   - HTTP1: HTTP/1.1 over keep-alive pools (Config.MaxIdleConnsPerHost
//     per pod, no compression, short dial timeout). A request without a
//     body that asks for no upgrade, the common case, is written and its
//     answer read on the handler's own goroutine (h1.go), where
//     http.Transport would pass it through two goroutines of its own. A
//     pooled connection is checked with a non-blocking peek before use, so
//     one the pod closed while idle is never written to; if the pod drops
//     the request anyway, it is sent once more on a new connection when
//     that is safe (GET, HEAD, OPTIONS, TRACE, or an Idempotency-Key).
//     Idle connections close after Config.IdleConnTimeout.
//   - H2C: HTTP/2 over cleartext with prior knowledge, which is how gRPC
//     speaks cleartext, multiplexed on one connection per pod.
//   - Trailers are passed through in every combination (HTTP/1.1 chunked
//     trailers or HTTP/2 trailers on either side).
//   - Upgrades (WebSocket and others) from an HTTP/1.1 client to an HTTP1
//     pod: the pod's 101 answer is relayed, then bytes are copied both ways
//     until either side closes or the request's context ends (the revision
//     timeout, or the server's drain deadline). Towards an H2C pod, or from
//     an HTTP/2 client, the Upgrade header is dropped like any hop-by-hop
//     header and the request is forwarded as an ordinary one.
//   - Bodies stream both ways; nothing is buffered whole. A response of
//     unknown length (chunked, gRPC, server-sent events) is flushed after
//     every read from the pod.
//
// # Headers
//
// Hop-by-hop headers (Connection and the headers it names, Keep-Alive,
// Proxy-*, TE except "trailers", Trailer, Transfer-Encoding, Upgrade) are
// removed both ways. Headers starting with InternalHeaderPrefix never reach
// the function nor the client, and a Wake-Cold-Start header from the pod is
// dropped (the activator owns it), in every spelling ("wake_internal_x"
// too). A client's Forwarded, X-Forwarded-* and X-Real-Ip headers are
// dropped and X-Forwarded-For, -Host and -Proto set from the request;
// when Config.TrustProxy says the client is a proxy (the activator sits
// behind a load balancer), the canonically spelled ones are kept and the
// client address is appended to its X-Forwarded-For. The Host header is
// passed unchanged, and no User-Agent is added.
//
// # Errors
//
// Serve returns a *Error whose Kind tells the handler what to answer when
// nothing was written yet: KindDial (no byte was sent: retry on another pod,
// else 502), KindBackend (502), KindClientBody (400: the client's body was
// malformed, e.g. bad chunking), KindClientTimeout (408: the client stalled
// sending its body for longer than Config.BodyIdleTimeout), KindTimeout
// (504: the request's deadline passed), KindCanceled (the client left).
// Once the response has started (Error.Written), the handler can only
// abort the stream.
package proxy
