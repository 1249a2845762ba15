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
//   - HTTP/1.1 to the pod over keep-alive pools (Config.MaxIdleConnsPerHost
//     per pod, no compression, short dial timeout).
//   - A request that arrived over HTTP/2 (h2c prior knowledge, which is how
//     gRPC speaks cleartext) goes to the pod over h2c prior knowledge too;
//     trailers are passed through.
//   - Upgrades (WebSocket and others) on HTTP/1.1: the pod's 101 answer is
//     relayed, then bytes are copied both ways until either side closes or
//     the request's context ends (the revision timeout, or the server's
//     drain deadline).
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
// dropped (the activator owns it). X-Forwarded-For gets the client address
// appended; X-Forwarded-Host and X-Forwarded-Proto are set from the request,
// or kept as received when Config.TrustForwardedHeaders is set (the
// activator sits behind a load balancer that sets them). The Host header is
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
