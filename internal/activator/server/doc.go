// Package server runs the activator's two listeners and drains them.
//
//   - The data plane (Options.Addr, default ":8080") serves function traffic
//     only: HTTP/1.1 and HTTP/2 cleartext with prior knowledge (h2c, as gRPC
//     clients speak it), hardened with ReadHeaderTimeout (a client that
//     does not finish its headers in time is disconnected), IdleTimeout and
//     MaxHeaderBytes (the Go server answers 431 above it). Its listener is
//     wrapped by ingress.Listen, which refuses ambiguous HTTP/1.x request
//     heads with 400 and a closed connection before net/http parses them,
//     and its handler by ingress.CloseIfUpgrade; "OPTIONS *" goes to the
//     handler (DisableGeneralOptionsHandler). It holds at most MaxConnections open client connections (default 10000): a
//     connection beyond is answered 503 with Retry-After: 1 and closed
//     (see limitListener for why it is accepted rather than left in the
//     backlog), and counted through OnConnRefused. HTTP/2 runs with
//     explicit limits (http2.go): 100 streams per connection, receive
//     windows of 256 KiB per connection and 64 KiB per stream, 16 KiB
//     frames, 4 KiB header tables. ConnContext stores each connection in
//     its requests' context, for clientgone.
//   - The admin listener (Options.AdminAddr, default ":9090") serves
//     /healthz (200 while the process runs), /readyz (200 when ready, 503
//     before the first routing table and while draining) and /metrics.
//     Keeping them off the data plane means no function host can shadow
//     them and no client can probe them through the ingress.
//
// Run drains when its context ends: /readyz turns 503 at once, the data
// plane keeps accepting for DrainGrace (so load balancers see the
// readiness change before the listener closes), then stops accepting and
// waits up to DrainTimeout for in-flight and queued requests (WebSocket
// tunnels included) to finish. What is still running then has its context
// cancelled and its connection closed, and Run returns.
package server
