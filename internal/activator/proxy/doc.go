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
//   - HTTP1: HTTP/1.1 over keep-alive pools (Options.MaxIdleConnsPerHost
//     per pod, no compression, short dial timeout). A request without a
//     body that asks for no upgrade, the common case, is written and its
//     answer read on the handler's own goroutine (h1.go), where
//     http.Transport would pass it through two goroutines of its own. A
//     pooled connection is checked with a non-blocking peek before use, so
//     one the pod closed while idle is never written to; if the pod drops
//     the request anyway, it is sent once more on a new connection when
//     that is safe (GET, HEAD, OPTIONS, TRACE, or an Idempotency-Key).
//     Idle connections close after Options.IdleConnTimeout.
//   - H2C: HTTP/2 over cleartext with prior knowledge, which is how gRPC
//     speaks cleartext, multiplexed on one connection per pod.
//   - Trailers are passed through in every combination (HTTP/1.1 chunked
//     trailers or HTTP/2 trailers on either side).
//   - Upgrades, WebSocket only (the token "websocket", any case), from an
//     HTTP/1.1 client to an HTTP1 pod: the pod's 101 answer is relayed
//     (its write bounded like any response head, see below), then bytes
//     are copied both ways until either side closes or the request's
//     context ends (the revision timeout, or the server's drain deadline).
//     Any other Upgrade (h2c, TLS, anything), and any Upgrade towards an
//     H2C pod or from an HTTP/2 client, is dropped like any hop-by-hop
//     header and the request is forwarded as an ordinary one (RFC 9110
//     7.8 lets a server ignore Upgrade): a pod never switches the
//     activator's connection to a protocol Wake does not check.
//   - Bodies stream both ways; nothing is buffered whole. A response of
//     unknown length (chunked, gRPC, server-sent events) is flushed after
//     every read from the pod. HTTP/1.1 requests with a body are full
//     duplex (http.ResponseController.EnableFullDuplex): the pod may
//     answer while the client still sends, as bidirectional gRPC streams
//     and echoing uploads do, including across the HTTP/1.1 hop between
//     activators; without it net/http discards up to 256 KiB of the body
//     once the answer starts.
//
// # Bounds
//
// What a pod or a client can make the proxy hold is bounded:
//
//   - A pod's answer heads: the status line and headers of the answer and
//     of any informational (1xx) answers before it take at most
//     Options.MaxHeaderBytes together (default DefaultMaxHeaderBytes,
//     64 KiB, the limit the server sets for requests); on the h1 client
//     the bytes read from the connection while a head is read are capped
//     (a pod sending endless headers costs at most that much), on the
//     transports MaxResponseHeaderBytes does the same. The h1 client also
//     takes at most 5 informational answers. Beyond either: 502, and the
//     connection to the pod is closed.
//   - A pod's status: anything outside 200-599 (e.g. 000, 099, 600) is a
//     502 (net/http's WriteHeader would panic below 100).
//   - Slow readers: response writes have a deadline (Options.WriteGrace,
//     Options.MinWriteRate; never past the request's deadline), so a
//     client that stops reading is cut off and its pod slot freed. The
//     101 of an upgrade gets the grace plus a full head at the minimum
//     rate. LimitUnsent, which the server applies to client connections,
//     makes a blocked write resume as the client reads.
//   - Slow senders: request bodies must keep a minimum average rate after
//     a grace (Options.BodyGrace, Options.MinBodyRate) until the pod starts
//     answering, except gRPC streams, and no read may wait longer than
//     Options.BodyIdleTimeout; else 408.
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
// when Options.TrustProxy says the client is a proxy (the activator sits
// behind a load balancer), the canonically spelled ones are kept and the
// client address is appended to its X-Forwarded-For. The Host header is
// passed unchanged, and no User-Agent is added.
//
// # Errors
//
// Serve returns a *Error whose Kind tells the handler what to answer when
// nothing was written yet: KindDial (no byte was sent: retry on another pod,
// else 502), KindBackend (502: the pod failed, or its answer broke a bound
// above), KindClientBody (400: the client's body was malformed, e.g. bad
// chunking), KindClientTimeout (408: the client stalled sending its body
// for longer than Options.BodyIdleTimeout, or sent it below the minimum
// rate), KindTimeout (504: the request's deadline passed), KindCanceled
// (the client left, or did not read its response in time).
// Once the response has started (Error.Written), the handler can only
// abort the stream.
package proxy
